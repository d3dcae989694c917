"""The Kinesis-source scenario: the delivery stream reads a Kinesis stream (KinesisStreamAsSource)
and delivers to S3 as the other scenarios do, while the client threads PutRecords (500 x 1 KiB)
into the stream instead of PutRecordBatch into the delivery stream: records/s put and delivered,
and the lag until everything put is delivered."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.common.servers import HOST
from bench.common.wire import RawConnection, head_lines, sign
from bench.firehose.load import Sender

SOURCE = "bench-source"
ROLE = "arn:aws:iam::000000000000:role/bench"
TARGET = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.PutRecords"}


def prepare(
    port: int, client: Callable[[int, str], Any], stream: str, shards: int, config: dict[str, Any]
) -> None:
    """The source stream (`shards` provisioned shards) and the delivery stream reading it."""
    kinesis, firehose = client(port, "kinesis"), client(port, "firehose")
    kinesis.create_stream(StreamName=SOURCE, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=SOURCE, WaiterConfig={"Delay": 0.1})
    arn = kinesis.describe_stream_summary(StreamName=SOURCE)["StreamDescriptionSummary"]["StreamARN"]
    firehose.create_delivery_stream(
        DeliveryStreamName=stream,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=config,
    )


def body(records: int, size: int) -> bytes:
    """A PutRecords request of `records` records of `size` bytes, spread over the shards."""
    data = base64.b64encode(b"k" * (size - 1) + b"\n").decode()
    entries = [{"Data": data, "PartitionKey": f"key-{i}"} for i in range(records)]
    return json.dumps({"StreamName": SOURCE, "Records": entries}).encode()


def send(port: int, request: bytes, records: int, stop: threading.Event, out: Sender) -> None:
    url = f"http://{HOST}:{port}/"
    head = head_lines(HOST, port, sign("kinesis", "POST", url, TARGET, request))
    connection = RawConnection(HOST, port)
    try:
        while not stop.is_set():
            try:
                answer = connection.send("POST", "/", head, [request])
            except OSError as exc:
                out.errors.append(repr(exc))
                time.sleep(0.05)
                continue
            out.requests += 1
            if answer.status != 200:
                out.errors.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
                time.sleep(0.05)  # throttled: a peer with shard limits on
                continue
            failed = int(json.loads(answer.body)["FailedRecordCount"])
            out.acked += records - failed
            out.failed += failed
    finally:
        connection.close()
