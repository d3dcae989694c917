"""The Lambda transformation's request/response contract on plain data."""

from __future__ import annotations

import base64
import json

from headwater.runtime.clock import SystemClock
from headwater.services.firehose.processing import transform
from headwater.services.firehose.processing.context import StageContext
from headwater.services.firehose.records import Failure, KinesisMetadata, Record

ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/s"
FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
CTX = StageContext(ARN, "us-east-1", "000000000000", SystemClock())


def record(rid: str, data: bytes = b"x", **kw: object) -> Record:
    return Record(rid, data, 1_700_000_000_000, **kw)  # type: ignore[arg-type]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_params_defaults_and_hints() -> None:
    p = transform.LambdaParams.of({"LambdaArn": FN})
    assert (p.retries, p.buffer_bytes, p.interval_s) == (3, 1024 * 1024, 60)
    assert transform.hints({"LambdaArn": FN, "BufferSizeInMBs": "0.2", "BufferIntervalInSeconds": "90"}) == (
        int(0.2 * 1024 * 1024),
        90,
    )


def test_request_document_fields() -> None:
    meta = KinesisMetadata("shardId-000000000001", "pk", "4955", 2, 1_699_999_999_000)
    records = [record("a", b"hello"), record("b", b"\x00\xff", kinesis=meta)]
    entries = [transform.request_entry(r, r.record_id) for r in records]
    ctx = StageContext(ARN, "us-east-1", "000000000000", SystemClock(), source_stream_arn="arn:k")
    doc = json.loads(transform.request_document(entries, ctx, "inv-1"))
    assert doc["invocationId"] == "inv-1"
    assert doc["deliveryStreamArn"] == ARN
    assert doc["sourceKinesisStreamArn"] == "arn:k"
    assert doc["region"] == "us-east-1"
    assert doc["records"][0] == {
        "recordId": "a",
        "approximateArrivalTimestamp": 1_700_000_000_000,
        "data": b64(b"hello"),
    }
    assert doc["records"][1]["kinesisRecordMetadata"] == {
        "shardId": "shardId-000000000001",
        "partitionKey": "pk",
        "approximateArrivalTimestamp": 1_699_999_999_000,
        "sequenceNumber": "4955",
        "subsequenceNumber": 2,
    }
    assert "sourceKinesisStreamArn" not in json.loads(transform.request_document(entries, CTX, "i"))


def test_batches_by_buffer_hint_and_request_limit() -> None:
    records = [record(str(i), b"x" * 400_000) for i in range(7)]
    assert transform.batches(records, 1024 * 1024) == [[0, 1], [2, 3], [4, 5], [6]]
    # one record over the hint still goes (alone)
    assert transform.batches([record("big", b"x" * 2_000_000), record("s")], 1024 * 1024) == [[0], [1]]
    # the 6 MB request limit cuts before the hint does: base64 grows the data by a third
    big = [record(str(i), b"x" * 2_000_000) for i in range(3)]
    cut = transform.batches(big, 10 * 1024 * 1024)
    assert cut == [[0, 1], [2]]
    for indexes in cut:
        entries = [transform.request_entry(big[i], big[i].record_id) for i in indexes]
        assert len(transform.request_document(entries, CTX, "x" * 36)) <= transform.LIMIT


def test_unique_ids() -> None:
    assert transform.unique_ids([record("a"), record("b"), record("a")]) == ["a", "b", "a.2"]


def test_read_response_results() -> None:
    records = [record("1", b"one"), record("2", b"two"), record("3", b"three"), record("4", b"four")]
    answer = {
        "records": [
            {"recordId": "1", "result": "Ok", "data": b64(b"ONE"), "metadata": {"partitionKeys": {"c": "x"}}},
            {"recordId": "2", "result": "Dropped", "data": ""},
            {"recordId": "3", "result": "ProcessingFailed", "data": b64(b"three")},
            {"recordId": "9", "result": "Ok", "data": b64(b"stray")},
        ]
    }
    kept, failed = transform.read_response(records, ["1", "2", "3", "4"], json.dumps(answer).encode())
    assert [(r.record_id, r.data, dict(r.partition_keys)) for r in kept] == [("1", b"ONE", {"c": "x"})]
    assert [(r.record_id, r.data, code) for r, code, _ in failed] == [
        ("3", b"three", "Lambda.ProcessingFailedStatus"),
        ("4", b"four", "Lambda.MissingRecordId"),
    ]


def test_read_response_malformed_answers() -> None:
    records = [record("1"), record("2"), record("3"), record("4")]
    answer = {
        "records": [
            {"recordId": "1", "result": "Ok", "data": b64(b"a")},
            {"recordId": "1", "result": "Ok", "data": b64(b"b")},
            {"recordId": "2", "result": "Fine", "data": b64(b"a")},
            {"recordId": "3", "result": "Ok", "data": "***"},
            {"recordId": "4", "result": "Ok", "data": b64(b"a"), "metadata": {"partitionKeys": {"k": 1}}},
        ]
    }
    kept, failed = transform.read_response(records, ["1", "2", "3", "4"], json.dumps(answer).encode())
    assert kept == []
    assert [code for _, code, _ in failed] == [
        "Lambda.DuplicatedRecordId",
        "Lambda.InvalidResult",
        "Lambda.InvalidData",
        "Lambda.InvalidMetadata",
    ]


def test_read_response_not_a_document() -> None:
    for payload in (b"not json", b"[]", b'{"records": 3}', b"{}"):
        try:
            transform.read_response([record("1")], ["1"], payload)
        except transform._Attempt as error:
            assert error.code == "Lambda.JsonProcessingException" and not error.retry
        else:
            raise AssertionError(payload)


def test_failure_document() -> None:
    failure = Failure(record("1", b"raw"), "processing-failed", "Lambda.FunctionError", "boom", 4, FN)
    assert transform.failure_document(failure, 1_700_000_001_000) == {
        "attemptsMade": 4,
        "arrivalTimestamp": 1_700_000_000_000,
        "errorCode": "Lambda.FunctionError",
        "errorMessage": "boom",
        "attemptEndingTimestamp": 1_700_000_001_000,
        "rawData": b64(b"raw"),
        "lambdaArn": FN,
    }


def test_function_error_codes() -> None:
    timed_out = json.dumps(
        {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1.00 seconds"}
    )
    assert transform._function_error(timed_out.encode())[0] == "Lambda.FunctionTimedOut"
    code, message = transform._function_error(
        json.dumps({"errorType": "ValueError", "errorMessage": "no"}).encode()
    )
    assert (code, message) == ("Lambda.FunctionError", "ValueError: no")
    assert transform._code("TooManyRequestsException") == "Lambda.InvokeLimitExceeded"
