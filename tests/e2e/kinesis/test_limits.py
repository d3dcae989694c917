"""Kinesis throughput limits end to end: a server with `--limits on`, driven by boto3.

Buckets refill on the server's clock (wall time plus the test clock's offset), so a test never
sleeps: `server.advance(s)` refills them. Where a count depends on how much wall time passed
between calls, the test measures that time and asserts the bound the limit implies, which still
fails if the server throttles too little or too much.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

ACCOUNT = "000000000000"
SHARD0 = "shardId-000000000000"
KIB = 1024
MIB = 1024 * KIB
MAX_HASH = 2**128 - 1


limited = server_fixture("limits", "--durability fast --limits on --test-mode on --transition-delay 0")


def client(endpoint: str, **retries: object):  # noqa: ANN201
    """boto3 with exactly the given retry settings (by default: one attempt, no retry at all)."""
    return client_for(endpoint, retries=retries or {"total_max_attempts": 1})


@pytest.fixture
def kinesis(limited: Server):  # noqa: ANN201
    limited.reset()
    return client(limited.endpoint)


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")


def burst(call: Callable[[], Any], count: int) -> tuple[int, list[tuple[str, str]], float]:
    """`count` calls back to back: (successes, error (code, message) pairs, seconds it took)."""
    started = time.monotonic()
    ok, failures = 0, []
    for _ in range(count):
        try:
            call()
            ok += 1
        except ClientError as exc:
            failures.append((exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")))
    return ok, failures, time.monotonic() - started


def assert_rate(ok: int, count: int, elapsed: float, burst_size: float, rate: float) -> None:
    """No more calls passed than the bucket's depth plus its refill, and the depth itself did pass."""
    assert ok >= min(count, burst_size)
    assert ok <= burst_size + rate * elapsed + 1, (ok, elapsed)


def iterator(kinesis, stream: str = "s", shard: str = SHARD0, **kwargs: Any) -> str:  # noqa: ANN001
    kind = kwargs.pop("ShardIteratorType", "TRIM_HORIZON")
    return kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType=kind, **kwargs)[
        "ShardIterator"
    ]


# -- writes ----------------------------------------------------------------------------------------
def test_put_record_over_1_mib_per_second_is_throttled_until_the_bucket_refills(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    blob = b"x" * (700 * KIB)
    kinesis.put_record(StreamName="s", Data=blob, PartitionKey="k")
    code, message = error_of(kinesis.put_record, StreamName="s", Data=blob, PartitionKey="k")
    assert code == "ProvisionedThroughputExceededException"
    assert message == f"Rate exceeded for shard {SHARD0} in stream s under account {ACCOUNT}."
    limited.advance(1)
    assert kinesis.put_record(StreamName="s", Data=blob, PartitionKey="k")["ShardId"] == SHARD0


def test_put_records_fails_per_record_once_a_shard_has_taken_1_mib(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    records = [{"Data": b"y" * 3000, "PartitionKey": "k"} for _ in range(500)]  # 1.5 MB, one shard
    result = kinesis.put_records(StreamName="s", Records=records)
    # One call is admitted at one instant: exactly the records whose 3,001 bytes fit in 1 MiB pass.
    fit = MIB // 3001
    assert result["FailedRecordCount"] == 500 - fit
    assert all("SequenceNumber" in r for r in result["Records"][:fit])
    for failed in result["Records"][fit:]:
        assert failed == {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": f"Rate exceeded for shard {SHARD0} in stream s under account {ACCOUNT}.",
        }
    got = kinesis.get_records(ShardIterator=iterator(kinesis), Limit=1000)["Records"]
    assert len(got) == fit  # the failed records were not written
    limited.advance(1)
    assert kinesis.put_records(StreamName="s", Records=records[:300])["FailedRecordCount"] == 0


def test_put_records_1000_records_per_second_per_shard(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    to_shard0 = [{"Data": b"r", "PartitionKey": "k", "ExplicitHashKey": "0"} for _ in range(500)]
    started = time.monotonic()
    first = kinesis.put_records(StreamName="s", Records=to_shard0)
    second = kinesis.put_records(StreamName="s", Records=to_shard0)
    third = kinesis.put_records(StreamName="s", Records=to_shard0)
    elapsed = time.monotonic() - started
    assert first["FailedRecordCount"] == second["FailedRecordCount"] == 0
    passed = 500 - third["FailedRecordCount"]
    assert passed <= 1000 * elapsed + 1, (passed, elapsed)  # only what refilled since the first call
    assert third["Records"][passed:] == [third["Records"][-1]] * (500 - passed)
    # The other shard has its own budget.
    to_shard1 = [{**r, "ExplicitHashKey": str(MAX_HASH)} for r in to_shard0]
    assert kinesis.put_records(StreamName="s", Records=to_shard1)["FailedRecordCount"] == 0
    limited.advance(1)
    assert kinesis.put_records(StreamName="s", Records=to_shard0)["FailedRecordCount"] == 0


def test_on_demand_streams_have_the_same_per_shard_limits(kinesis) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    records = [{"Data": b"y" * 3000, "PartitionKey": "k", "ExplicitHashKey": "0"} for _ in range(500)]
    assert kinesis.put_records(StreamName="od", Records=records)["FailedRecordCount"] == 500 - MIB // 3001
    elsewhere = [{**r, "ExplicitHashKey": str(MAX_HASH)} for r in records[:300]]
    assert kinesis.put_records(StreamName="od", Records=elsewhere)["FailedRecordCount"] == 0


def test_update_max_record_size_deepens_the_burst_of_existing_shards(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"small", PartitionKey="k")  # the shard's buckets exist now
    limited.advance(1)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=10240)
    big = b"B" * (10 * MIB - 1)  # the limit counts data plus the one-byte key
    sequence = kinesis.put_record(StreamName="s", Data=big, PartitionKey="k")["SequenceNumber"]
    emptied = time.monotonic()
    # The tank is empty now and refills at 1 MiB/s: 900 KiB is refused unless 0.9 s of wall time
    # passed in between (a loaded machine), when it must be accepted instead.
    try:
        kinesis.put_record(StreamName="s", Data=b"z" * (900 * KIB), PartitionKey="k")
        accepted = True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        accepted = False
    assert not accepted or time.monotonic() - emptied >= 0.85

    # A 10 MiB GetRecords response shuts reads of that shard for the next 5 seconds.
    at_big = iterator(kinesis, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=sequence)
    got = kinesis.get_records(ShardIterator=at_big)
    read = time.monotonic()
    assert [len(r["Data"]) for r in got["Records"]] == [len(big)]
    code, message = error_of(kinesis.get_records, ShardIterator=got["NextShardIterator"])
    assert code == "ProvisionedThroughputExceededException"
    assert message == f"Rate exceeded for Shard - {ACCOUNT}/s/{SHARD0}"
    limited.advance(3)  # 3 s of the 5 on the server's clock, plus the wall time that passed
    if time.monotonic() - read < 1.5:
        code, _ = error_of(kinesis.get_records, ShardIterator=got["NextShardIterator"])
        assert code == "ProvisionedThroughputExceededException"
    limited.advance(2.1)
    assert kinesis.get_records(ShardIterator=got["NextShardIterator"])["Records"] == []


# -- reads -----------------------------------------------------------------------------------------
def test_get_records_5_calls_per_second_per_shard(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.put_record(StreamName="s", Data=b"r", PartitionKey="k", ExplicitHashKey="0")
    position = iterator(kinesis)
    ok, failures, elapsed = burst(lambda: kinesis.get_records(ShardIterator=position), 20)
    assert_rate(ok, 20, elapsed, 5, 5)
    assert failures and set(failures) == {
        ("ProvisionedThroughputExceededException", f"Rate exceeded for Shard - {ACCOUNT}/s/{SHARD0}")
    }
    other = iterator(kinesis, shard="shardId-000000000001")
    assert kinesis.get_records(ShardIterator=other)["Records"] == []  # its own budget
    limited.advance(1)
    assert len(kinesis.get_records(ShardIterator=position)["Records"]) == 1


def test_get_shard_iterator_5_calls_per_second_per_shard(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=2)
    ok, failures, elapsed = burst(lambda: iterator(kinesis), 20)
    assert_rate(ok, 20, elapsed, 5, 5)
    assert failures and set(failures) == {
        (
            "ProvisionedThroughputExceededException",
            f"Rate exceeded for shard {SHARD0} in stream s under account {ACCOUNT}.",
        )
    }
    assert iterator(kinesis, shard="shardId-000000000001")
    limited.advance(1)
    assert iterator(kinesis)


# -- control plane ---------------------------------------------------------------------------------
def test_create_stream_5_per_second_per_account(kinesis, limited) -> None:  # noqa: ANN001
    names = iter(f"s{i}" for i in range(100))
    ok, failures, elapsed = burst(lambda: kinesis.create_stream(StreamName=next(names), ShardCount=1), 8)
    assert_rate(ok, 8, elapsed, 5, 5)
    assert failures and {code for code, _ in failures} == {"LimitExceededException"}
    assert all(message.startswith("Rate exceeded") for _, message in failures)
    assert len(kinesis.list_streams()["StreamNames"]) == ok  # refused calls created nothing
    limited.advance(1)
    kinesis.create_stream(StreamName="after", ShardCount=1)


def test_describe_stream_summary_20_per_second(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    ok, failures, elapsed = burst(lambda: kinesis.describe_stream_summary(StreamName="s"), 30)
    assert_rate(ok, 30, elapsed, 20, 20)
    assert {code for code, _ in failures} <= {"LimitExceededException"}
    limited.advance(1)
    kinesis.describe_stream_summary(StreamName="s")


def test_describe_limits_once_per_second(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.describe_limits()
    code, _ = error_of(kinesis.describe_limits)
    assert code == "LimitExceededException"
    limited.advance(1)
    assert kinesis.describe_limits()["ShardLimit"] > 0


def test_subscribe_to_shard_once_per_second_per_consumer_and_shard(kinesis, limited) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    position = {"Type": "LATEST"}
    first = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD0, StartingPosition=position)
    first["EventStream"].close()
    code, message = error_of(
        kinesis.subscribe_to_shard, ConsumerARN=consumer, ShardId=SHARD0, StartingPosition=position
    )
    assert code == "LimitExceededException"
    assert message.startswith("Rate exceeded for consumer")
    limited.advance(6)  # past the rate and the 5 s takeover rule
    second = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD0, StartingPosition=position)
    second["EventStream"].close()


# -- switched off ----------------------------------------------------------------------------------
def test_limits_off_admits_everything(endpoint: str) -> None:
    kinesis = client(endpoint)  # the session server runs with --limits off
    kinesis.create_stream(StreamName="s", ShardCount=1)
    records = [{"Data": b"y" * 3000, "PartitionKey": "k"} for _ in range(500)]
    for _ in range(3):
        assert kinesis.put_records(StreamName="s", Records=records)["FailedRecordCount"] == 0
    position = iterator(kinesis)
    for _ in range(10):
        kinesis.get_records(ShardIterator=position, Limit=1)
    for _ in range(3):
        kinesis.describe_limits()


# -- SDK retries ----------------------------------------------------------------------------------
@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch, limited: Server) -> list[float]:
    """botocore's backoff sleeps, recorded; each moves the server's clock 1 s instead of waiting."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        limited.advance(1)

    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=sleep))
    return slept


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_botocore_retries_our_throttling_errors(kinesis, limited, retry_sleeps, mode: str) -> None:  # noqa: ANN001
    retrying = client(limited.endpoint, mode=mode, total_max_attempts=3)
    kinesis.create_stream(StreamName="s", ShardCount=1)
    blob = b"x" * (700 * KIB)
    # The buckets refill on wall time too: on a loaded machine the second call may find enough budget
    # (0.37 s of refill for the put, 1 s for DescribeLimits), and then nothing was retried.
    started = time.monotonic()
    kinesis.put_record(StreamName="s", Data=blob, PartitionKey="k")
    # ProvisionedThroughputExceededException: throttled once, retried after a backoff, accepted.
    assert retrying.put_record(StreamName="s", Data=blob, PartitionKey="k")["ShardId"] == SHARD0
    assert len(retry_sleeps) == 1 or (not retry_sleeps and time.monotonic() - started >= 0.35)
    retried = len(retry_sleeps)
    # LimitExceededException: likewise.
    started = time.monotonic()
    kinesis.describe_limits()
    assert retrying.describe_limits()["ShardLimit"] > 0
    assert len(retry_sleeps) == retried + 1 or (
        len(retry_sleeps) == retried and time.monotonic() - started >= 0.95
    )
