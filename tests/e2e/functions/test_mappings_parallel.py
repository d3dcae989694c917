"""Kinesis mappings with ParallelizationFactor: concurrent batches of one shard, each partition
key in order, and a kill -9 that skips nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.functions.support import drain, ensure_role, error_of, python_function, wait_state
from tests.e2e.functions.test_mappings_kinesis import stream
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

# records (key, text) and when the invoke ran, into queue SEEN; sleeps SLEEP seconds per batch
SLOW = """
import base64
import json
import os
import time

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    started = time.time()
    time.sleep(float(os.environ["SLEEP"]))
    got = [
        [r["kinesis"]["partitionKey"], base64.b64decode(r["kinesis"]["data"]).decode(), r["eventID"]]
        for r in event["Records"]
    ]
    body = {"records": got, "start": started, "end": time.time()}
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(body))
    return {}
"""


def slow_function(lam: Any, sqs: Any, name: str, role: str, sleep: float) -> str:
    seen = sqs.create_queue(QueueName=f"{name}-seen")["QueueUrl"]
    env = {"SEEN": seen, "SLEEP": str(sleep)}
    python_function(lam, name, SLOW, role, Timeout=10, Environment={"Variables": env})
    return str(seen)


def put_keyed(kinesis: Any, name: str, count: int, keys: int, start: int = 0) -> list[tuple[str, str]]:
    sent = [(f"key{i % keys}", f"r{i}") for i in range(start, start + count)]
    for begin in range(0, len(sent), 100):
        chunk = sent[begin : begin + 100]
        kinesis.put_records(
            StreamName=name, Records=[{"PartitionKey": k, "Data": t.encode()} for k, t in chunk]
        )
    return sent


def per_key(seen: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for invoke in seen:
        for key, text, _ in invoke["records"]:
            out.setdefault(key, []).append(int(text[1:]))
    return out


def test_parallel_batches_keep_each_key_in_order(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "parallel")
    seen_url = slow_function(lam, sqs, "fn-parallel", role, sleep=0.3)
    sent = put_keyed(kinesis, "parallel", 80, keys=16)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-parallel",
        StartingPosition="TRIM_HORIZON",
        BatchSize=5,
        ParallelizationFactor=4,
    )
    assert mapping["ParallelizationFactor"] == 4
    seen = drain(sqs, seen_url, lambda s: sum(len(i["records"]) for i in s) >= 80, timeout=60)
    assert sorted(t for i in seen for _, t, _ in i["records"]) == sorted(t for _, t in sent)
    assert all(len(i["records"]) <= 5 for i in seen)
    for key, numbers in per_key(seen).items():
        assert numbers == sorted(numbers), key  # a key's records in order, across batches
    for invoke in seen:  # a batch holds the keys of one lane: never two batches of a key at once
        assert len({r[2].split(":")[0] for r in invoke["records"]}) == 1
    spans = sorted((i["start"], i["end"]) for i in seen)
    overlapping = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert overlapping >= 2, spans  # batches of the one shard ran at once


def test_parallel_kill_9_resumes_without_skipping(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        make = lambda name: client_for(server.endpoint, name)  # noqa: E731
        lam, kinesis, sqs = make("lambda"), make("kinesis"), make("sqs")
        role = ensure_role(make)
        arn = stream(kinesis, "presume")
        seen_url = slow_function(lam, sqs, "fn-presume", role, sleep=0.05)
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="fn-presume",
            StartingPosition="TRIM_HORIZON",
            BatchSize=4,
            ParallelizationFactor=3,
        )
        sent = put_keyed(kinesis, "presume", 150, keys=9)
        first = drain(sqs, seen_url, lambda s: sum(len(i["records"]) for i in s) >= 30)
        server.kill()
        server = durable_server(data_dir).start()
        make = lambda name: client_for(server.endpoint, name)  # noqa: E731
        kinesis, sqs = make("kinesis"), make("sqs")
        sent += put_keyed(kinesis, "presume", 30, keys=9, start=150)
        texts = {t for _, t in sent}
        rest = drain(
            sqs, seen_url, lambda s: {t for i in first + s for _, t, _ in i["records"]} >= texts, timeout=90
        )
        got = [t for i in first + rest for _, t, _ in i["records"]]
        assert set(got) == texts, sorted(texts - set(got))  # nothing skipped
        print(f"delivered again after kill -9: {len(got) - len(set(got))}")
        for key, numbers in per_key(first + rest).items():  # in order, but for what came again
            assert list(dict.fromkeys(numbers)) == sorted(set(numbers)), (key, numbers)
    finally:
        server.stop()


def test_parallelization_factor_range(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "prange")
    slow_function(lam, sqs, "fn-prange", role, sleep=0)
    code, message, status = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="fn-prange", StartingPosition="LATEST", ParallelizationFactor=11
        )
    )
    assert (code, status) == ("ValidationException", 400) and "parallelizationFactor" in message, message
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-prange", StartingPosition="LATEST", ParallelizationFactor=10
    )["UUID"]
    wait_state(lam, uuid, "Enabled")
    assert lam.update_event_source_mapping(UUID=uuid, ParallelizationFactor=2)["ParallelizationFactor"] == 2
    assert wait_state(lam, uuid, "Enabled")["ParallelizationFactor"] == 2
