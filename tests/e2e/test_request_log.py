"""The request log: one line per request at info (the default), in text or JSON, naming the
service's operation, status, latency, account and request id (S3: bucket/key too)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

json_server = server_fixture(
    "json-log", "--durability memory --limits off --transition-delay 0 --log-format json"
)


def _line(server: Server, found: Callable[[str], bool], timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.output().splitlines():
            if found(line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no such log line in: {server.output()[-2000:]}")


def test_text_lines(server: Server, client: Callable[..., Any]) -> None:
    answer = client("kinesis").create_stream(StreamName="logged-stream", ShardCount=1)
    request_id = answer["ResponseMetadata"]["RequestId"]
    line = _line(server, lambda text: request_id in text)
    assert " INFO headwater.requests: kinesis.CreateStream 200 " in line
    assert "account=000000000000" in line and f"id={request_id}" in line
    assert line.split(" 200 ", 1)[1].split()[0].endswith("ms")

    s3 = client("s3")
    s3.create_bucket(Bucket="logged-bucket")
    put = s3.put_object(Bucket="logged-bucket", Key="a/b.txt", Body=b"x")
    line = _line(server, lambda text: put["ResponseMetadata"]["RequestId"] in text)
    assert "s3.PutObject 200 " in line and " logged-bucket/a/b.txt " in line

    other = client("sqs", access_key="111122223333")
    try:
        other.get_queue_url(QueueName="missing")
    except other.exceptions.QueueDoesNotExist as error:
        request_id = error.response["ResponseMetadata"]["RequestId"]
    line = _line(server, lambda text: request_id in text)
    assert "sqs.GetQueueUrl 400 " in line and "account=111122223333" in line


def test_json_lines(json_server: Server) -> None:
    kms = client_for(json_server.endpoint, "kms")
    request_id = kms.create_key()["ResponseMetadata"]["RequestId"]
    line = json.loads(_line(json_server, lambda text: request_id in text))
    assert line["logger"] == "headwater.requests" and line["level"] == "info"
    assert (line["service"], line["operation"], line["status"]) == ("kms", "CreateKey", 200)
    assert line["account"] == "000000000000" and line["request_id"] == request_id
    assert isinstance(line["ms"], float)
    # every line of the output is one JSON object, the start-up announcement too (no library noise)
    lines = [json.loads(text) for text in json_server.output().splitlines() if text.strip()]
    ready = next(entry for entry in lines if entry["message"].startswith("Headwater"))
    assert ready["storage"] == {"durability": "memory"} and ready["tls"]["enabled"] is False
    assert not [entry for entry in lines if entry["logger"].startswith(("_granian", "granian", "asyncio"))]
