"""Functions built in the tests: Python sources and `provided` bootstrap scripts zipped in memory."""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def zipped(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, textwrap.dedent(text))
    return buffer.getvalue()


def ensure_role(client: Any) -> str:
    """The execution role: created in IAM when the server runs it (then it is checked)."""
    # it may exist already, or there is no IAM here (roles are not checked then)
    with contextlib.suppress(ClientError):
        client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    return ROLE


def python_function(lam: Any, name: str, source: str, role: str = ROLE, **options: Any) -> dict[str, Any]:
    created = lam.create_function(
        FunctionName=name,
        Runtime=options.pop("Runtime", "python3.11"),
        Role=role,
        Handler=options.pop("Handler", "app.handler"),
        Code={"ZipFile": zipped({"app.py": source})},
        **options,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return created


def invoke(lam: Any, name: str, payload: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **options)
    return answer, json.loads(answer["Payload"].read() or b"null")


# -- event-source mappings: a function that records what it receives into a queue -----------------

RECORDER = """
import base64
import json
import os

import boto3

sqs = boto3.client("sqs")


def texts(event):
    out = []
    for record in event["Records"]:
        if "kinesis" in record:
            out.append(base64.b64decode(record["kinesis"]["data"]).decode())
        else:
            out.append(record["body"])
    return out


def ident(record):
    return record["kinesis"]["sequenceNumber"] if "kinesis" in record else record["messageId"]


def handler(event, context):
    mode = os.environ.get("MODE", "")
    data = texts(event)
    bad = [ident(r) for r, text in zip(event["Records"], data) if "bad" in text]
    failed = mode == "raise" and bool(bad)
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps({"ok": not failed, "event": event}))
    if failed:
        raise ValueError("a bad record")
    if mode == "report":
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
    return {}
"""


def recorder(lam: Any, sqs: Any, name: str, role: str, mode: str = "", **options: Any) -> str:
    """A function that sends each event it gets (as {"ok", "event"}) to queue `<name>-seen`;
    MODE "raise" fails a batch holding a record with "bad" in it, "report" reports those records
    as batchItemFailures. Returns the queue's URL."""
    seen = sqs.create_queue(QueueName=f"{name}-seen")["QueueUrl"]
    python_function(
        lam,
        name,
        RECORDER,
        role,
        Timeout=10,
        Environment={"Variables": {"SEEN": seen, "MODE": mode}},
        **options,
    )
    return str(seen)


def drain(sqs: Any, url: str, done: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
    """What the recorder sent, until `done(seen)` holds (or the deadline: then what came)."""
    import time

    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(seen):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            seen.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return seen


def wait_state(lam: Any, uuid: str, state: str, timeout: float = 15.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        mapping = lam.get_event_source_mapping(UUID=uuid)
        if mapping["State"] == state or time.monotonic() > deadline:
            assert mapping["State"] == state, mapping
            return dict(mapping)
        time.sleep(0.05)


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    """The (code, message, HTTP status) of the ClientError `call` raises."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
