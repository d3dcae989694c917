"""Edge mode's Kinesis forwarding between two Headwater processes: records put into the edge's local
stream arrive in the upstream's stream at least once, in order per partition key, across a cut link,
a resharding of the local stream and a kill -9 of the edge."""

from __future__ import annotations

import signal
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.iot.gateway import wait_for
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import DURABLE, FAST, Server, free_port

LOCAL, REMOTE = "edge-events", "cloud-events"
KEYS = ("alpha", "beta", "gamma")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "edge", "AWS_SECRET_ACCESS_KEY": "edge-secret"}


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Server]:
    """A Headwater whose HTTP port stays the same across stop/start; its stream has one
    shard, so what arrives there is in arrival order."""
    (tmp_path / "up").mkdir()
    # strict: the edge's SigV4 signatures (botocore's signer, the environment's keys) are checked
    auth = ("--auth", "strict", "--credentials", "test:test,edge:edge-secret")
    server = Server(tmp_path / "up", *FAST, "--iot-mode", "relaxed", *auth).start()
    kinesis = client_for(server.endpoint, "kinesis")
    kinesis.create_stream(StreamName=REMOTE, ShardCount=1)
    wait_active(kinesis, REMOTE)
    try:
        yield server
    finally:
        server.stop()


def edge(tmp_path: Path, upstream: Server) -> Server:
    (tmp_path / "edge").mkdir(exist_ok=True)
    flags = (
        "--mqtt-port", str(free_port()), "--iot-mode", "relaxed", "--edge", "--edge-backoff-max", "0.5",
        # no upstream broker: Kinesis forwarding alone
        "--edge-kinesis", f"{LOCAL}={REMOTE}", "--edge-kinesis-endpoint", upstream.endpoint,
    )  # fmt: skip
    return Server(tmp_path / "edge", *DURABLE, *flags, env=CREDENTIALS)


def wait_active(kinesis: Any, name: str) -> None:
    def active() -> bool:
        return bool(
            kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            == "ACTIVE"
        )

    wait_for(active, what=f"{name} ACTIVE")


def put(kinesis: Any, start: int, count: int) -> list[tuple[str, bytes]]:
    sent = []
    for i in range(start, start + count):
        key = KEYS[i % len(KEYS)]
        data = f"{key}-{i:04d}".encode()
        kinesis.put_record(StreamName=LOCAL, PartitionKey=key, Data=data)
        sent.append((key, data))
    return sent


def arrived(server: Server) -> list[tuple[str, bytes]]:
    kinesis = client_for(server.endpoint, "kinesis")
    shard = kinesis.list_shards(StreamName=REMOTE)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=REMOTE, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records: list[tuple[str, bytes]] = []
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        records += [(r["PartitionKey"], r["Data"]) for r in page["Records"]]
        if not page["Records"] or page.get("MillisBehindLatest") == 0:
            return records
        iterator = page["NextShardIterator"]


def check(upstream: Server, sent: list[tuple[str, bytes]]) -> None:
    """Every record arrived, at least once; each partition key's first copies in put order."""
    wait_for(lambda: set(sent) <= set(arrived(upstream)), what="every record upstream", timeout=60)
    firsts: dict[str, list[bytes]] = defaultdict(list)
    for key, data in dict.fromkeys(arrived(upstream)):
        firsts[key].append(data)
    for key in KEYS:
        assert firsts[key] == [data for k, data in sent if k == key]


def status(server: Server) -> dict[str, Any]:
    kinesis = server.admin("GET", "edge")["kinesis"]
    assert isinstance(kinesis, dict)
    stream: dict[str, Any] = kinesis["streams"][0]
    assert server.admin("GET", "edge")["upstream"] is None
    return stream


def test_cut_link_then_back(tmp_path: Path, upstream: Server) -> None:
    server = edge(tmp_path, upstream).start()
    try:
        kinesis = client_for(server.endpoint, "kinesis")
        kinesis.create_stream(StreamName=LOCAL, ShardCount=2)
        wait_active(kinesis, LOCAL)
        sent = put(kinesis, 0, 30)
        check(upstream, sent)
        wait_for(lambda: status(server)["forwarded"] == 30, what="30 forwarded")

        upstream.stop()
        sent += put(kinesis, 30, 30)
        wait_for(lambda: status(server)["last_error"] is not None, what="the upstream reported down")
        assert status(server)["forwarded"] == 30
        assert status(server)["behind_s"] >= 0

        upstream.start()
        check(upstream, sent)
        wait_for(lambda: status(server)["forwarded"] == 60, what="60 forwarded")
        report = status(server)
        assert report["lost_to_retention"] == 0
        assert report["last_error"] is None
        assert report["retries"] > 0
        assert {shard["state"] for shard in report["shards"].values()} == {"forwarding"}
        with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics", timeout=10) as response:
            metrics = response.read().decode()
        assert f'edge_kinesis_forwarded{{Stream="{LOCAL}"}} 60' in metrics
    finally:
        server.stop()


def test_resharding_and_kill(tmp_path: Path, upstream: Server) -> None:
    server = edge(tmp_path, upstream).start()
    try:
        kinesis = client_for(server.endpoint, "kinesis")
        kinesis.create_stream(StreamName=LOCAL, ShardCount=1)
        wait_active(kinesis, LOCAL)
        sent = put(kinesis, 0, 10)
        wait_for(lambda: status(server)["forwarded"] == 10, what="10 forwarded")
        upstream.stop()  # records pile up in the local stream
        sent += put(kinesis, 10, 30)
        kinesis.update_shard_count(StreamName=LOCAL, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
        wait_active(kinesis, LOCAL)
        sent += put(kinesis, 40, 40)  # into the children: they go up after their parent

        server.stop(signal.SIGKILL)  # the edge dies with everything unforwarded
        upstream.start()
        server.start()
        check(upstream, sent)
        # the counters are this run's: the 70 that were not forwarded before the kill
        wait_for(lambda: status(server)["forwarded"] == 70, what="70 forwarded")
        # the checkpoint of what went up before the kill was on disk: those are not sent again
        copies = [data for _, data in arrived(upstream)]
        assert all(copies.count(data) == 1 for _, data in sent[:10])
        shards = status(server)["shards"]
        assert sorted(shard["state"] for shard in shards.values()) == ["done", "forwarding", "forwarding"]
    finally:
        server.stop()


def test_retention_loss_is_reported(tmp_path: Path, upstream: Server) -> None:
    server = edge(tmp_path, upstream).start()
    try:
        kinesis = client_for(server.endpoint, "kinesis")
        kinesis.create_stream(StreamName=LOCAL, ShardCount=1)
        wait_active(kinesis, LOCAL)
        upstream.stop()
        first = put(kinesis, 0, 1)  # read, and held by the forwarder while the upstream is away
        wait_for(lambda: status(server)["retries"] > 0, what="a retry")
        put(kinesis, 1, 10)  # never read before they expire
        server.advance(25 * 3600)  # past the 24-hour retention: the local stream trims them

        def trimmed() -> bool:
            iterator = kinesis.get_shard_iterator(
                StreamName=LOCAL,
                ShardId=kinesis.list_shards(StreamName=LOCAL)["Shards"][0]["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
            return not kinesis.get_records(ShardIterator=iterator)["Records"]

        wait_for(trimmed, what="the records trimmed", timeout=30)
        upstream.start()
        later = put(kinesis, 11, 5)
        check(upstream, first + later)
        report = status(server)
        assert report["lost_to_retention"] == 10
        assert not {data for _, data in arrived(upstream)} & {
            f"{KEYS[i % 3]}-{i:04d}".encode() for i in range(1, 11)
        }
    finally:
        server.stop()
