"""Lambda transformation end to end: a Python function made with boto3 transforms what
PutRecordBatch sends, and the bytes Firehose writes to S3 (data and processing-failed/ documents)
are checked."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.firehose.processing_support import objects, processor, put, stream
from tests.e2e.functions.support import ensure_role, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

TRANSFORMER = """
import base64
import json
import os
import time


def handler(event, context):
    mode = os.environ.get("MODE", "")
    if mode == "raise":
        raise ValueError("the transformer broke")
    if mode == "sleep":
        time.sleep(5)
    out = []
    for record in event["records"]:
        text = base64.b64decode(record["data"]).decode()
        rid = record["recordId"] if mode != "mismatch" else record["recordId"] + "-other"
        if mode == "plain":
            out.append({"recordId": rid, "result": "Ok", "data": base64.b64encode(text.upper().encode()).decode()})
        elif mode == "inflate":
            big = (text.upper() * (2_000_000 // len(text)) + "\\n").encode()
            out.append({"recordId": rid, "result": "Ok", "data": base64.b64encode(big).decode()})
        elif text.startswith("drop"):
            out.append({"recordId": rid, "result": "Dropped", "data": record["data"]})
        elif text.startswith("fail"):
            out.append({"recordId": rid, "result": "ProcessingFailed", "data": record["data"]})
        else:
            body = json.dumps({"upper": text.upper(), "stream": event["deliveryStreamArn"].split("/")[-1]})
            if mode == "count":
                body = json.dumps({"text": text, "batch": len(event["records"])})
            out.append({
                "recordId": rid,
                "result": "Ok",
                "data": base64.b64encode((body + "\\n").encode()).decode(),
                "metadata": {"partitionKeys": {"first": text[:1]}},
            })
    return {"records": out}
"""


@pytest.fixture
def setup(client: Callable[..., Any]) -> tuple[Any, Any, Any]:
    ensure_role(client)
    return client("firehose"), client("s3"), client("lambda")


def transformer(lam: Any, name: str, mode: str = "", timeout: int = 10) -> str:
    created = python_function(
        lam, name, TRANSFORMER, Timeout=timeout, Environment={"Variables": {"MODE": mode}}
    )
    return str(created["FunctionArn"])


def lambda_processor(arn: str, retries: int = 3, interval: int = 0) -> dict[str, Any]:
    return processor(
        "Lambda", LambdaArn=arn, NumberOfRetries=retries, BufferSizeInMBs=1, BufferIntervalInSeconds=interval
    )


def failed_documents(found: dict[str, bytes]) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for key, body in sorted(found.items())
        if key.startswith("errors/processing-failed/")
        for line in body.splitlines()
        if line.strip()
    ]


def data_objects(found: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in found.items() if not k.startswith("errors/")}


def test_ok_dropped_and_processing_failed(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, lam = setup
    fn = transformer(lam, "upper")
    arn = stream(firehose, s3, "transformed", lambda_processor(fn))
    put(firehose, "transformed", [b"alpha", b"drop me", b"beta", b"fail me"])
    found = objects(s3, "transformed-bucket", lambda f: data_objects(f) and failed_documents(f))
    delivered = b"".join(data_objects(found).values())
    assert delivered == (
        json.dumps({"upper": "ALPHA", "stream": "transformed"}).encode()
        + b"\n"
        + json.dumps({"upper": "BETA", "stream": "transformed"}).encode()
        + b"\n"
    )
    [document] = failed_documents(found)
    assert base64.b64decode(document["rawData"]) == b"fail me"
    assert document["lambdaArn"] == fn
    assert document["attemptsMade"] == 1
    assert document["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert set(document) >= {
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "lambdaArn",
    }
    assert document["attemptEndingTimestamp"] >= document["arrivalTimestamp"]
    assert arn.endswith(":deliverystream/transformed")


def test_mismatched_record_ids_fail_every_record(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, lam = setup
    stream(firehose, s3, "mismatch", lambda_processor(transformer(lam, "mismatch", "mismatch")))
    put(firehose, "mismatch", [b"one", b"two"])
    found = objects(s3, "mismatch-bucket", lambda f: len(failed_documents(f)) == 2)
    documents = failed_documents(found)
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == [b"one", b"two"]
    assert {d["errorCode"] for d in documents} == {"Lambda.MissingRecordId"}
    assert data_objects(found) == {}


def test_a_function_that_raises_is_retried_then_fails_the_batch(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, lam = setup
    fn = transformer(lam, "raiser", "raise")
    stream(firehose, s3, "raising", lambda_processor(fn, retries=2))
    put(firehose, "raising", [b"a", b"b"])
    found = objects(s3, "raising-bucket", lambda f: len(failed_documents(f)) == 2)
    documents = failed_documents(found)
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == [b"a", b"b"]
    for document in documents:
        assert document["attemptsMade"] == 3  # the first invocation and two retries
        assert document["errorCode"] == "Lambda.FunctionError"
        assert "the transformer broke" in document["errorMessage"]
        assert document["lambdaArn"] == fn
    assert data_objects(found) == {}


def test_a_function_that_times_out_is_retried(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, lam = setup
    stream(firehose, s3, "slow", lambda_processor(transformer(lam, "sleeper", "sleep", timeout=1), retries=1))
    put(firehose, "slow", [b"late"])
    found = objects(s3, "slow-bucket", failed_documents, timeout=60)
    [document] = failed_documents(found)
    assert document["errorCode"] == "Lambda.FunctionTimedOut"
    assert document["attemptsMade"] == 2
    assert base64.b64decode(document["rawData"]) == b"late"


def test_a_missing_function_fails_the_records(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, _ = setup
    fn = "arn:aws:lambda:us-east-1:000000000000:function:nowhere"
    stream(firehose, s3, "nofunction", lambda_processor(fn, retries=0))
    put(firehose, "nofunction", [b"x"])
    [document] = failed_documents(objects(s3, "nofunction-bucket", failed_documents))
    assert document["errorCode"] == "Lambda.FunctionNotFound"
    assert document["lambdaArn"] == fn


def test_a_response_over_6_mb_is_split(setup: tuple[Any, Any, Any]) -> None:
    firehose, s3, lam = setup
    stream(firehose, s3, "inflating", lambda_processor(transformer(lam, "inflater", "inflate")))
    put(firehose, "inflating", [b"ab", b"cd", b"ef"])  # 3 x 2 MB back: over 6 MB in one response

    def lines(found: dict[str, bytes]) -> list[bytes]:
        return sorted(line for body in data_objects(found).values() for line in body.splitlines())

    found = objects(s3, "inflating-bucket", lambda f: len(lines(f)) == 3, timeout=60)
    assert lines(found) == [t * 1_000_000 for t in (b"AB", b"CD", b"EF")]
    assert failed_documents(found) == []


strict = server_fixture(
    "strict-firehose-transform",
    "--durability memory --limits off --transition-delay 0 --auth strict --credentials test:test",
)


def test_strict_auth_invokes_as_the_streams_role(strict: Server) -> None:
    """Firehose calls Lambda with the role it was given (an identity-based grant): a function of
    the role's own account needs no resource policy; a role of another account needs one."""
    strict.reset()
    clients = lambda service: client_for(strict.endpoint, service)  # noqa: E731
    ensure_role(clients)
    firehose, s3, lam = clients("firehose"), clients("s3"), clients("lambda")
    fn = transformer(lam, "guarded")
    stream(firehose, s3, "own", lambda_processor(fn))
    outsider = "arn:aws:iam::111122223333:role/outsider"
    stream(
        firehose,
        s3,
        "foreign",
        {
            **lambda_processor(fn, retries=0),
            "Parameters": [
                *lambda_processor(fn, retries=0)["Parameters"],
                {"ParameterName": "RoleArn", "ParameterValue": outsider},
            ],
        },
    )
    put(firehose, "own", [b"mine"])
    put(firehose, "foreign", [b"theirs"])
    found = objects(s3, "own-bucket", data_objects)
    assert list(data_objects(found).values()) == [
        json.dumps({"upper": "MINE", "stream": "own"}).encode() + b"\n"
    ]
    [document] = failed_documents(objects(s3, "foreign-bucket", failed_documents))
    assert document["errorCode"] == "Lambda.InvokeAccessDenied"
    assert base64.b64decode(document["rawData"]) == b"theirs"


def test_the_processors_buffer_hints_batch_invocations(setup: tuple[Any, Any, Any], server: Server) -> None:
    """Records of three PutRecordBatch calls wait for BufferIntervalInSeconds, then one invocation
    transforms them all."""
    firehose, s3, lam = setup
    stream(firehose, s3, "hinted", lambda_processor(transformer(lam, "counter", "count"), interval=60))
    for text in (b"a", b"b", b"c"):
        put(firehose, "hinted", [text])
    found = objects(s3, "hinted-bucket", data_objects, advance=lambda: server.advance(61))
    lines = [json.loads(line) for body in data_objects(found).values() for line in body.splitlines()]
    assert lines == [{"text": t, "batch": 3} for t in "abc"]


def test_stages_run_in_aws_order(setup: tuple[Any, Any, Any]) -> None:
    """Listed backwards, the processors still run as AWS orders them: de-aggregation splits the
    record before the function sees it, the delimiter follows what the function returned."""
    firehose, s3, lam = setup
    fn = transformer(lam, "plain", "plain")
    stream(
        firehose,
        s3,
        "ordered",
        processor("AppendDelimiterToRecord"),
        lambda_processor(fn),
        processor("RecordDeAggregation", SubRecordType="JSON"),
    )
    put(firehose, "ordered", [b'{"a":"x"}{"a":"y"}'])
    found = objects(s3, "ordered-bucket", data_objects)
    assert list(data_objects(found).values()) == [b'{"A":"X"}\n{"A":"Y"}\n']
