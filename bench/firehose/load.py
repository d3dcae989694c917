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
from typing import Any

from bench.common.servers import HOST
from bench.common.wire import RawConnection, head_lines, sign

_DELIVERED = re.compile(rb'^aws_firehose_delivery_to_s3_records\{DeliveryStreamName="([^"]+)"\} (\S+)$', re.M)
_FRESHNESS = re.compile(
    rb'^aws_firehose_delivery_to_s3_data_freshness\{DeliveryStreamName="([^"]+)"\} (\S+)$', re.M
)


def batch_body(stream: str, records: int, size: int) -> bytes:
    data = base64.b64encode(b"r" * (size - 1) + b"\n").decode()
    return json.dumps({"DeliveryStreamName": stream, "Records": [{"Data": data}] * records}).encode()


CUSTOMERS = 8  # distinct partition keys in the dynamic partitioning scenario


def json_record(i: int, size: int) -> bytes:
    """A JSON record of exactly `size` bytes (newline included) with ten keys; `customer` takes
    CUSTOMERS values, the partition key the jq query extracts."""
    doc = {
        "customer": f"c{i % CUSTOMERS}",
        "event": ["view", "click", "buy"][i % 3],
        "id": i,
        "ts": 1_767_225_600 + i,
        "region": "us-east-1",
        "device": "mobile" if i % 2 else "desktop",
        "amount": round(i * 1.25, 2),
        "ok": bool(i % 5),
        "session": f"s{i:08d}",
        "pad": "",
    }
    bare = len(json.dumps(doc, separators=(",", ":"))) + 1
    doc["pad"] = "x" * max(0, size - bare)
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


def json_batch_body(stream: str, records: int, size: int) -> bytes:
    datas = [base64.b64encode(json_record(i, size)).decode() for i in range(records)]
    return json.dumps({"DeliveryStreamName": stream, "Records": [{"Data": d} for d in datas]}).encode()


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


def delivered_bytes(s3: Any, bucket: str, prefix: str = "") -> int:
    """Bytes in the bucket's objects under `prefix` (uncompressed objects: the records delivered)."""
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def delivered(port: int, stream: str) -> tuple[int, float | None]:
    """(DeliveryToS3.Records so far, the last DeliveryToS3.DataFreshness in seconds)."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/_headwater/metrics", timeout=10) as answer:
        text = answer.read()
    count = sum(int(float(v)) for name, v in _DELIVERED.findall(text) if name.decode() == stream)
    fresh = [float(v) for name, v in _FRESHNESS.findall(text) if name.decode() == stream]
    return count, (fresh[0] if fresh else None)
