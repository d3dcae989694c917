"""Firehose benchmark: PutRecordBatch (500 x 1 KiB, 8 clients) into a delivery stream to S3 on a
durable Headwater: acknowledged and delivered records/s, delivery lag, RSS under load.

    python -m bench.firehose [--quick] [--runs 1] [--duration 20] [--clients 8] [--interval 1] [--size 5]
                             [--shards 4] [--no-kinesis]

A second phase on the same server reads a Kinesis stream instead (KinesisStreamAsSource: PutRecords
into the stream, delivered from it; `kinesis_source.py`).

Delivered counts come from the server's own DeliveryToS3.Records counter (the metrics endpoint);
"lag" is the time from the end of the load until every acknowledged record is delivered, and the
DataFreshness gauge (age of the oldest record in the last object) is reported beside it. Nothing is
written to bench/RESULTS.md; the numbers are printed and kept under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.common.memory import RssSampler
from bench.common.servers import HOST, PEERS, Running, headwater
from bench.common.wire import ACCESS_KEY, REGION, SECRET_KEY
from bench.firehose import kinesis_source
from bench.firehose.load import Sender, batch_body, delivered, send

STREAM, BUCKET = "bench-stream", "bench-firehose"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.firehose", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short phases")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--duration", type=float, help="seconds of load (default 20; quick 5)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--records", type=int, default=500, help="records per PutRecordBatch")
    p.add_argument("--record-size", type=int, default=1024)
    p.add_argument("--size", type=int, default=5, help="BufferingHints SizeInMBs")
    p.add_argument("--interval", type=int, default=1, help="BufferingHints IntervalInSeconds")
    p.add_argument("--durability", default="durable")
    p.add_argument("--keep-data", action="store_true")
    p.add_argument("--shards", type=int, default=4, help="the Kinesis-source phase's shards")
    p.add_argument("--no-kinesis", action="store_true", help="skip the Kinesis-source phase")
    return p.parse_known_args(argv)[0]  # run.sh hands every section the same flags


def _client(port: int, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )


def one_run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    running = Running(headwater(args.durability), workdir)
    try:
        reason = running.wait_ready(60, lambda port: False)
        if reason:
            raise RuntimeError(reason)
        port = running.port
        _client(port, "s3").create_bucket(Bucket=BUCKET)
        _client(port, "firehose").create_delivery_stream(
            DeliveryStreamName=STREAM,
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/bench",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "BufferingHints": {"SizeInMBs": args.size, "IntervalInSeconds": args.interval},
            },
        )
        firehose = _client(port, "firehose")
        while (
            firehose.describe_delivery_stream(DeliveryStreamName=STREAM)["DeliveryStreamDescription"][
                "DeliveryStreamStatus"
            ]
            != "ACTIVE"
        ):
            time.sleep(0.1)
        body = batch_body(STREAM, args.records, args.record_size)
        duration = args.duration or (5.0 if args.quick else 20.0)
        stop = threading.Event()
        senders = [Sender() for _ in range(args.clients)]
        threads = [threading.Thread(target=send, args=(port, body, args.records, stop, s)) for s in senders]
        rss = RssSampler(running.proc.pid, 0.5)
        rss.start()
        load0 = os.getloadavg()
        cpu0 = time.process_time()
        started = time.perf_counter()
        delivered0, _ = delivered(port, STREAM)
        for thread in threads:
            thread.start()
        time.sleep(duration)
        stop.set()
        for thread in threads:
            thread.join()
        stopped = time.perf_counter()
        load_end = os.getloadavg()
        delivered_at_stop, _ = delivered(port, STREAM)
        acked = sum(s.acked for s in senders)
        # the tail: until everything acknowledged is delivered (or 60 s)
        deadline = stopped + 60
        count, freshness = delivered_at_stop, None
        while time.perf_counter() < deadline:
            count, freshness = delivered(port, STREAM)
            if count >= acked:
                break
            time.sleep(0.05)
        drained = time.perf_counter()
        samples = rss.samples[:]
        rss.stop()
        elapsed = stopped - started
        from_kinesis = {} if args.no_kinesis else kinesis_source.run(port, _client, args, duration)
        return {
            **from_kinesis,
            "duration_s": round(elapsed, 2),
            "acked_records": acked,
            "acked_per_s": round(acked / elapsed),
            "delivered_records": count - delivered0,
            "delivered_during_load_per_s": round((delivered_at_stop - delivered0) / elapsed),
            "delivered_per_s": round((count - delivered0) / (drained - started)),
            "lost": max(0, acked - (count - delivered0)),
            "lag_after_load_s": round(drained - stopped, 2),
            "data_freshness_s": freshness,
            "requests": sum(s.requests for s in senders),
            "errors": [e for s in senders for e in s.errors][:5],
            "rss_mb_start": round(samples[0], 1) if samples else None,
            "rss_mb_peak": round(max(samples), 1) if samples else None,
            "rss_mb_end": round(samples[-1], 1) if samples else None,
            "client_cpu_s": round(time.process_time() - cpu0, 2),
            "loadavg_start": [round(x, 2) for x in load0],
            "loadavg_end": [round(x, 2) for x in load_end],
        }
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    PEERS.mkdir(parents=True, exist_ok=True)
    results = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="firehose-bench-", dir=PEERS) as tmp:
            result = one_run(args, Path(tmp))
        results.append(result)
        print(f"firehose bench run {n + 1}/{args.runs}: " + json.dumps(result))
    runs = PEERS / "runs"
    runs.mkdir(exist_ok=True)
    out = runs / f"firehose-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "runs": results}, indent=2))
    print(f"firehose bench: raw numbers in {out}")
    return 0 if all(r["lost"] == 0 and r.get("kinesis_lost", 0) == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
