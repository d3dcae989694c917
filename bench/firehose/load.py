"""The Firehose load: N threads, each on its own raw connection, sending the same prebuilt
PutRecordBatch body (500 records of 1 KiB) back to back and counting what the answers acknowledge;
and a reader of the server's delivery counters (the metrics endpoint, CloudWatch names)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from bench.common.servers import HOST
from bench.common.wire import RawConnection, head_lines, sign

_DELIVERED = re.compile(rb'^aws_firehose_delivery_to_s3_records\{DeliveryStreamName="([^"]+)"\} (\S+)$', re.M)
_FRESHNESS = re.compile(
    rb'^aws_firehose_delivery_to_s3_data_freshness\{DeliveryStreamName="([^"]+)"\} (\S+)$', re.M
)


def batch_body(stream: str, records: int, size: int) -> bytes:
    data = base64.b64encode(b"r" * (size - 1) + b"\n").decode()
    return json.dumps({"DeliveryStreamName": stream, "Records": [{"Data": data}] * records}).encode()


@dataclass(slots=True)
class Sender:
    acked: int = 0
    failed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def send(port: int, body: bytes, records: int, stop: threading.Event, out: Sender) -> None:
    url = f"http://{HOST}:{port}/"
    headers = sign(
        "firehose",
        "POST",
        url,
        {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Firehose_20150804.PutRecordBatch"},
        body,
    )
    head = head_lines(HOST, port, headers)
    connection = RawConnection(HOST, port)
    try:
        while not stop.is_set():
            try:
                answer = connection.send("POST", "/", head, [body])
            except OSError as exc:
                out.errors.append(repr(exc))
                time.sleep(0.05)
                continue
            out.requests += 1
            if answer.status != 200:
                out.errors.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
                continue
            failed = int(json.loads(answer.body)["FailedPutCount"])
            out.acked += records - failed
            out.failed += failed
    finally:
        connection.close()


def delivered(port: int, stream: str) -> tuple[int, float | None]:
    """(DeliveryToS3.Records so far, the last DeliveryToS3.DataFreshness in seconds)."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/_headwater/metrics", timeout=10) as answer:
        text = answer.read()
    count = sum(int(float(v)) for name, v in _DELIVERED.findall(text) if name.decode() == stream)
    fresh = [float(v) for name, v in _FRESHNESS.findall(text) if name.decode() == stream]
    return count, (fresh[0] if fresh else None)
