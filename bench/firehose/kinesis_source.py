"""The Kinesis-source phase: a delivery stream reading a Kinesis stream (KinesisStreamAsSource) to
S3 while N threads PutRecords (500 x 1 KiB) into the stream: records/s put and delivered, and the
lag until everything put is delivered (DeliveryToS3.Records from the metrics endpoint)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.common.servers import HOST
from bench.common.wire import RawConnection, head_lines, sign
from bench.firehose.load import Sender, delivered

SOURCE, STREAM, BUCKET = "bench-source", "bench-from-kinesis", "bench-firehose-kinesis"
ROLE = "arn:aws:iam::000000000000:role/bench"


def _body(records: int, size: int) -> bytes:
    data = base64.b64encode(b"k" * (size - 1) + b"\n").decode()
    entries = [{"Data": data, "PartitionKey": f"key-{i}"} for i in range(records)]
    return json.dumps({"StreamName": SOURCE, "Records": entries}).encode()


def _send(port: int, body: bytes, records: int, stop: threading.Event, out: Sender) -> None:
    url = f"http://{HOST}:{port}/"
    target = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.PutRecords"}
    head = head_lines(HOST, port, sign("kinesis", "POST", url, target, body))
    connection = RawConnection(HOST, port)
    try:
        while not stop.is_set():
            answer = connection.send("POST", "/", head, [body])
            out.requests += 1
            if answer.status != 200:
                out.errors.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
                time.sleep(0.05)  # throttled: the stream's shard limits are on
                continue
            failed = int(json.loads(answer.body)["FailedRecordCount"])
            out.acked += records - failed
            out.failed += failed
    finally:
        connection.close()


def run(port: int, client: Callable[[int, str], Any], args: Any, duration: float) -> dict[str, Any]:
    kinesis, s3, firehose = client(port, "kinesis"), client(port, "s3"), client(port, "firehose")
    kinesis.create_stream(StreamName=SOURCE, ShardCount=args.shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=SOURCE, WaiterConfig={"Delay": 0.1})
    arn = kinesis.describe_stream_summary(StreamName=SOURCE)["StreamDescriptionSummary"]["StreamARN"]
    s3.create_bucket(Bucket=BUCKET)
    firehose.create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "BufferingHints": {"SizeInMBs": args.size, "IntervalInSeconds": args.interval},
        },
    )
    body = _body(args.records, args.record_size)
    stop = threading.Event()
    senders = [Sender() for _ in range(args.clients)]
    threads = [threading.Thread(target=_send, args=(port, body, args.records, stop, s)) for s in senders]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    stopped = time.perf_counter()
    at_stop, _ = delivered(port, STREAM)
    put = sum(s.acked for s in senders)
    count, deadline = at_stop, stopped + 60
    while count < put and time.perf_counter() < deadline:
        time.sleep(0.05)
        count, _ = delivered(port, STREAM)
    drained = time.perf_counter()
    elapsed = stopped - started
    return {
        "kinesis_shards": args.shards,
        "kinesis_put_records": put,
        "kinesis_put_per_s": round(put / elapsed),
        "kinesis_delivered_during_load_per_s": round(at_stop / elapsed),
        "kinesis_delivered_per_s": round(count / (drained - started)),
        "kinesis_lost": max(0, put - count),
        "kinesis_lag_after_load_s": round(drained - stopped, 2),
        "kinesis_errors": [e for s in senders for e in s.errors][:5],
    }
