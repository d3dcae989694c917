"""The AWS CLI (v1, from the `awscli` test dependency) against a live server, output parsed as JSON."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.support.cli import Cli

SHARD = "shardId-000000000000"


@pytest.fixture
def aws(cli: Callable[..., Cli]) -> Cli:
    return cli("kinesis", timeout=60)


def test_cli_stream_round_trip(aws: Cli, tmp_path: Path) -> None:
    assert aws("create-stream", "--stream-name", "cli", "--shard-count", "2") is None
    assert aws("wait", "stream-exists", "--stream-name", "cli") is None
    summary = aws("describe-stream-summary", "--stream-name", "cli")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 2
    assert summary["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/cli"
    shards = aws("list-shards", "--stream-name", "cli")["Shards"]
    assert [s["ShardId"] for s in shards] == [SHARD, "shardId-000000000001"]
    # CLI v1 sends a blob argument as the raw text given (it base64-encodes it on the wire itself)
    # and a fileb:// argument as the file's bytes; the first shard owns the hash key 0.
    text = aws("put-record", "--stream-name", "cli", "--partition-key", "k", "--explicit-hash-key", "0",
               "--data", "hello cli")  # fmt: skip
    binary = tmp_path / "payload.bin"
    binary.write_bytes(bytes(range(256)))
    raw = aws("put-record", "--stream-name", "cli", "--partition-key", "k", "--explicit-hash-key", "0",
              "--data", f"fileb://{binary}")  # fmt: skip
    assert text["ShardId"] == raw["ShardId"] == SHARD
    iterator = aws(
        "get-shard-iterator",
        "--stream-name",
        "cli",
        "--shard-id",
        SHARD,
        "--shard-iterator-type",
        "TRIM_HORIZON",
    )["ShardIterator"]
    got = aws("get-records", "--shard-iterator", iterator)
    records = got["Records"]
    assert [base64.b64decode(r["Data"]) for r in records] == [b"hello cli", bytes(range(256))]
    assert [r["SequenceNumber"] for r in records] == [text["SequenceNumber"], raw["SequenceNumber"]]
    assert all(isinstance(r["ApproximateArrivalTimestamp"], int | float) for r in records)
    assert got["MillisBehindLatest"] == 0
    assert aws("delete-stream", "--stream-name", "cli") is None
    assert aws("list-streams")["StreamNames"] == []


def test_cli_reports_service_errors(aws: Cli) -> None:
    done = aws.run("describe-stream-summary", "--stream-name", "missing")
    assert done.returncode == 255  # CLI v1 exits 255 on a service error (v2: 254)
    assert "(ResourceNotFoundException)" in done.stderr
    assert "Stream missing under account 000000000000 not found." in done.stderr
