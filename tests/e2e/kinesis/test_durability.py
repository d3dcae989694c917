"""Durability end to end: restart restores everything, kill -9 loses nothing acknowledged, retention trims."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server


def read_shard(kinesis, stream: str, shard_id: str) -> list[dict]:  # noqa: ANN001
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        records += page["Records"]
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            break
        iterator = page.get("NextShardIterator")
    return records


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_restart_restores_everything(tmp_path: Path, stop: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    kinesis = client_for(server.endpoint)
    kinesis.create_stream(StreamName="s", ShardCount=2, Tags={"env": "test"})
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=48)
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingBytes"])
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    kinesis.put_resource_policy(
        ResourceARN=arn,
        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kinesis:GetRecords","Resource":"*"}]}',
    )
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126))
    put = kinesis.put_records(
        StreamName="s", Records=[{"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(50)]
    )
    before = {s: read_shard(kinesis, "s", s) for s in {r["ShardId"] for r in put["Records"]}}
    shard_id = put["Records"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    shards = kinesis.list_shards(StreamName="s")["Shards"]
    if stop == "sigkill":
        server.kill()
    else:
        assert server.stop() == 0
    server = durable_server(data_dir)
    server.start()
    kinesis = client_for(server.endpoint)
    try:
        assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"] == summary
        assert kinesis.list_shards(StreamName="s")["Shards"] == shards
        assert kinesis.list_tags_for_stream(StreamName="s")["Tags"] == [{"Key": "env", "Value": "test"}]
        assert (
            kinesis.describe_stream_consumer(ConsumerARN=consumer)["ConsumerDescription"]["ConsumerName"]
            == "c"
        )
        assert "kinesis:GetRecords" in kinesis.get_resource_policy(ResourceARN=arn)["Policy"]
        for shard, records in before.items():
            assert read_shard(kinesis, "s", shard) == records
        # an iterator issued before the restart still works
        resumed = kinesis.get_records(ShardIterator=iterator)["Records"]
        assert [r["SequenceNumber"] for r in resumed] == [r["SequenceNumber"] for r in before[shard_id]]
        # sequence counters continue past everything stored
        later = kinesis.put_record(StreamName="s", Data=b"later", PartitionKey="k0")
        last = (
            max(int(r["SequenceNumber"]) for r in before.get(later["ShardId"], []))
            if before.get(later["ShardId"])
            else 0
        )
        assert int(later["SequenceNumber"]) > last
    finally:
        server.stop()


def test_kill_9_under_load_loses_no_acknowledged_record(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    setup = client_for(server.endpoint)
    setup.create_stream(StreamName="crash", ShardCount=2)
    acknowledged: list[tuple[str, str, bytes]] = []  # (shard, sequence number, data)
    lock = threading.Lock()
    stop = threading.Event()

    def produce(worker: int) -> None:
        client = client_for(server.endpoint)
        batch = 0
        while not stop.is_set():
            data = [f"w{worker}-b{batch}-r{i}".encode() for i in range(100)]
            try:
                result = client.put_records(
                    StreamName="crash", Records=[{"Data": d, "PartitionKey": d.decode()} for d in data]
                )
            except Exception:  # the server died mid-request: nothing acknowledged
                return
            with lock:
                acknowledged.extend(
                    (r["ShardId"], r["SequenceNumber"], d)
                    for r, d in zip(result["Records"], data, strict=True)
                )
            batch += 1

    producers = [threading.Thread(target=produce, args=(n,)) for n in range(4)]
    for thread in producers:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 20000 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()
    stop.set()
    for thread in producers:
        thread.join(30)
    print(f"acknowledged before kill: {len(acknowledged)}")
    assert len(acknowledged) >= 1000
    server = durable_server(data_dir).start()
    kinesis = client_for(server.endpoint)
    try:
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            stored = read_shard(kinesis, "crash", shard)
            numbers = [r["SequenceNumber"] for r in stored]
            assert numbers == sorted(numbers, key=int), "records out of order"
            assert len(numbers) == len(set(numbers)), "duplicated records"
            by_number = {r["SequenceNumber"]: r["Data"] for r in stored}
            expected = [(n, d) for s, n, d in acknowledged if s == shard]
            missing = [n for n, _ in expected if n not in by_number]
            assert not missing, f"{len(missing)} acknowledged records lost"
            assert all(by_number[n] == d for n, d in expected)
    finally:
        server.stop()


def test_retention_trims_records_and_closed_shards(endpoint, kinesis, server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="old", ShardCount=1)
    kinesis.put_record(StreamName="old", Data=b"expires", PartitionKey="k")
    kinesis.split_shard(StreamName="old", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    server.advance(25 * 3600)
    kinesis.put_record(StreamName="old", Data=b"fresh", PartitionKey="k")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shard_ids = [s["ShardId"] for s in kinesis.list_shards(StreamName="old")["Shards"]]
        if "shardId-000000000000" not in shard_ids:
            break
        time.sleep(0.05)
    assert "shardId-000000000000" not in shard_ids, "the expired closed shard is still listed"
    with pytest.raises(ClientError):
        kinesis.get_shard_iterator(
            StreamName="old", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    fresh = [r["Data"] for s in shard_ids for r in read_shard(kinesis, "old", s)]
    assert fresh == [b"fresh"]


def test_retention_trims_old_records_of_open_shards(endpoint, kinesis, server) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="t", ShardCount=1)
    kinesis.put_records(StreamName="t", Records=[{"Data": b"old", "PartitionKey": "k"}] * 10)
    server.advance(23 * 3600)
    kinesis.put_record(StreamName="t", Data=b"new", PartitionKey="k")
    server.advance(2 * 3600)  # the first ten are now 25 h old, the last one 2 h
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data = [r["Data"] for r in read_shard(kinesis, "t", "shardId-000000000000")]
        if data == [b"new"]:
            break
        time.sleep(0.05)
    assert data == [b"new"]
