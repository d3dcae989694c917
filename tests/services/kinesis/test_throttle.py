import math
import random

import pytest

from headwater.runtime.clock import TestClock
from headwater.services.kinesis.throttle import MIB, RateLimiter, ShardLimits, TokenBucket

KIB = 1024
T0 = 1_000.0  # an arbitrary start: times are whatever the injected clock says


# -- TokenBucket -----------------------------------------------------------------------------------
def test_bucket_starts_full_and_refuses_without_taking():
    bucket = TokenBucket(10, 5)
    assert bucket.try_take(5, T0)
    assert not bucket.try_take(1, T0)
    assert bucket.available(T0) == 0  # the refused take took nothing


def test_bucket_refills_at_rate_up_to_burst():
    bucket = TokenBucket(10, 5, now=T0)
    assert bucket.try_take(5, T0)
    assert bucket.available(T0 + 0.2) == pytest.approx(2)
    assert not bucket.try_take(3, T0 + 0.2)
    assert bucket.try_take(2, T0 + 0.2)
    assert bucket.available(T0 + 100) == 5  # capped


def test_bucket_ignores_time_going_backwards():
    bucket = TokenBucket(10, 5, now=T0)
    bucket.try_take(5, T0)
    assert bucket.available(T0 - 50) == 0
    assert bucket.available(T0 + 0.1) == pytest.approx(1)


def test_charge_creates_a_debt_paid_back_over_time():
    bucket = TokenBucket(2, 0)
    bucket.charge(10, T0)
    assert bucket.available(T0) == -10
    assert bucket.seconds_until(0, T0) == pytest.approx(5)
    assert bucket.available(T0 + 4.9) < 0
    assert bucket.available(T0 + 5) == pytest.approx(0)


def test_seconds_until():
    bucket = TokenBucket(4, 8)
    assert bucket.seconds_until(8, T0) == 0
    bucket.try_take(8, T0)
    assert bucket.seconds_until(2, T0) == pytest.approx(0.5)
    assert math.isinf(bucket.seconds_until(9, T0))


def test_bucket_validates_its_parameters():
    with pytest.raises(ValueError):
        TokenBucket(0, 1)
    with pytest.raises(ValueError):
        TokenBucket(1, -1)


def test_bucket_runs_on_the_injected_clock():
    clock = TestClock()
    bucket = TokenBucket(1, 1)
    assert bucket.try_take(1, clock.now())
    assert not bucket.try_take(1, clock.now())
    clock.advance(1.5)
    assert bucket.try_take(1, clock.now())


# -- writes ----------------------------------------------------------------------------------------
def test_a_10_mib_record_passes_on_an_idle_shard():
    limits = ShardLimits(10 * MIB)
    assert limits.admit_write(10 * MIB, T0)
    # The tank is empty now: even a small record waits for the refill...
    assert not limits.admit_write(64 * KIB, T0)
    # ...which runs at the 1 MiB/s baseline.
    assert limits.admit_write(64 * KIB, T0 + 0.07)
    assert not limits.admit_write(10 * MIB, T0 + 5)
    assert limits.admit_write(10 * MIB, T0 + 10.1)


def test_default_streams_keep_a_1_mib_burst():
    limits = ShardLimits()
    assert limits.admit_write(MIB, T0)
    assert not limits.admit_write(1, T0)
    assert not limits.admit_write(2 * MIB, T0 + 100)  # larger than the stream allows: never


@pytest.mark.parametrize("max_record_bytes", [MIB, 10 * MIB])
def test_sustained_writes_are_capped_at_1_mib_per_second(max_record_bytes):
    limits = ShardLimits(max_record_bytes)
    admitted_bytes = 0
    seconds, step, size = 60, 0.01, 100 * KIB
    for tick in range(int(seconds / step)):
        now = T0 + tick * step
        while limits.admit_write(size, now):
            admitted_bytes += size
    # Whatever the tank let through at first, the long-run rate is the baseline.
    assert admitted_bytes <= max_record_bytes + seconds * MIB + size
    assert admitted_bytes >= (seconds - 1) * MIB


def test_1000_records_per_second():
    limits = ShardLimits()
    assert all(limits.admit_write(10, T0) for _ in range(1000))
    assert not limits.admit_write(10, T0)
    assert sum(limits.admit_write(10, T0 + 0.5) for _ in range(1000)) == 500


def test_a_record_refused_for_bytes_takes_no_record_token():
    limits = ShardLimits(MIB)
    assert not limits.admit_write(2 * MIB, T0)
    assert sum(limits.admit_write(1, T0) for _ in range(1001)) == 1000


def test_put_records_admits_part_of_a_batch():
    limits = ShardLimits(MIB)
    admitted = limits.admit_writes([400 * KIB, 400 * KIB, 400 * KIB, 100 * KIB, 300 * KIB], T0)
    # The third record does not fit, the smaller fourth still does; the fifth no longer fits.
    assert admitted == [True, True, False, True, False]
    assert limits.write_bytes.available(T0) == pytest.approx(MIB - 900 * KIB)


def test_put_records_record_count_limit_splits_a_batch():
    limits = ShardLimits()
    assert limits.admit_writes([1] * 500, T0) == [True] * 500
    second = limits.admit_writes([1] * 500, T0 + 0.1)  # 500 left + 100 refilled
    assert second == [True] * 500
    third = limits.admit_writes([1] * 500, T0 + 0.1)  # the 100 that remain
    assert third.count(True) == 100 and third[:100] == [True] * 100


def test_batch_admission_equals_record_by_record_admission():
    rng = random.Random(11)
    batch_limits, single_limits = ShardLimits(10 * MIB), ShardLimits(10 * MIB)
    now = T0
    for _ in range(50):
        now += rng.random()
        sizes = [rng.choice([10, 5 * KIB, 300 * KIB, 2 * MIB]) for _ in range(rng.randrange(1, 500))]
        assert batch_limits.admit_writes(sizes, now) == [single_limits.admit_write(s, now) for s in sizes]


# -- reads -----------------------------------------------------------------------------------------
def test_five_get_records_calls_per_second():
    limits = ShardLimits()
    assert all(limits.admit_read(T0) for _ in range(5))
    assert not limits.admit_read(T0)
    assert not limits.admit_read(T0 + 0.19)
    assert limits.admit_read(T0 + 0.2)


def test_a_10_mib_read_throttles_the_next_5_seconds():
    limits = ShardLimits()
    assert limits.admit_read(T0)
    limits.charge_read(10 * MIB, T0)
    assert not limits.admit_read(T0 + 1)
    assert not limits.admit_read(T0 + 4.99)
    assert limits.admit_read(T0 + 5)


def test_a_2_mib_read_throttles_the_next_second():
    limits = ShardLimits()
    assert limits.admit_read(T0)
    limits.charge_read(2 * MIB, T0)
    assert not limits.admit_read(T0 + 0.99)
    assert limits.admit_read(T0 + 1)


def test_reads_throttled_for_bytes_do_not_use_up_call_tokens():
    limits = ShardLimits()
    assert limits.admit_read(T0)
    limits.charge_read(4 * MIB, T0)
    assert not any(limits.admit_read(T0 + 0.1 * i) for i in range(1, 20))
    assert sum(limits.admit_read(T0 + 2) for _ in range(10)) == 5


def test_small_reads_are_limited_only_by_the_call_rate():
    limits = ShardLimits()
    admitted = 0
    for i in range(50):  # 10 s at 5 calls/s, 100 KiB each: 0.5 MiB/s
        now = T0 + i * 0.2
        if limits.admit_read(now):
            admitted += 1
            limits.charge_read(100 * KIB, now)
    assert admitted == 50


def poll(limits, seconds, read_size):
    """A consumer calling GetRecords 5 times a second; returns the bytes it got."""
    got = 0
    for i in range(int(seconds * 5)):
        now = T0 + i * 0.2
        if limits.admit_read(now):
            limits.charge_read(read_size, now)
            got += read_size
    return got


def test_reads_just_under_2_mib_per_second_all_pass():
    assert poll(ShardLimits(), 60, 400 * KIB) == 300 * 400 * KIB


@pytest.mark.parametrize("read_size", [420 * KIB, MIB, 3 * MIB, 10 * MIB])
def test_sustained_reads_never_exceed_2_mib_per_second(read_size):
    got = poll(ShardLimits(), 60, read_size)
    assert got <= 60 * 2 * MIB + read_size  # the last call may run into debt
    assert got >= 60 * MIB  # and the throttle is not wildly stricter than the limit


# -- control plane ---------------------------------------------------------------------------------
def test_rate_limiter_per_operation_and_scope():
    limiter = RateLimiter.for_kinesis()
    account = "111111111111"
    assert all(limiter.allow("CreateStream", account, T0) for _ in range(5))
    assert not limiter.allow("CreateStream", account, T0)
    assert limiter.allow("CreateStream", "222222222222", T0)  # another account
    assert limiter.allow("DeleteStream", account, T0)  # another operation
    assert limiter.allow("CreateStream", account, T0 + 0.2)
    assert not limiter.allow("CreateStream", account, T0 + 0.2)


def test_kinesis_rates_follow_the_model():
    limiter = RateLimiter.for_kinesis()
    assert sum(limiter.allow("DescribeStream", "a", T0) for _ in range(50)) == 10
    assert sum(limiter.allow("ListShards", "stream", T0) for _ in range(2000)) == 1000
    assert sum(limiter.allow("DescribeLimits", "a", T0) for _ in range(5)) == 1
    assert all(limiter.allow("PutRecord", "a", T0) for _ in range(5000))  # not a control-plane limit


def test_rate_limiter_below_one_per_second():
    limiter = RateLimiter({"Slow": 0.5})
    assert limiter.allow("Slow", "a", T0)
    assert not limiter.allow("Slow", "a", T0 + 1)
    assert limiter.allow("Slow", "a", T0 + 2)


def test_rate_limiter_forgets_only_idle_keys(monkeypatch):
    monkeypatch.setattr(RateLimiter, "MAX_KEYS", 10)
    limiter = RateLimiter({"ListStreams": 2})
    for i in range(100):
        limiter.allow("ListStreams", i, T0 + i)
    assert len(limiter._buckets) <= 11
    now = T0 + 200
    assert all(limiter.allow("ListStreams", "hot", now) for _ in range(2))
    for i in range(20):  # churn while "hot" is still drained
        limiter.allow("ListStreams", ("x", i), now)
    assert not limiter.allow("ListStreams", "hot", now)
