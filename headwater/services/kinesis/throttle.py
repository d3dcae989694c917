"""Kinesis throughput limits as token buckets on an injected clock.

Theory of operation
-------------------
Every bucket refills continuously at `rate` tokens per second up to `burst`, lazily: it remembers the
balance at its last update and computes the refill when asked, so an idle shard costs nothing, and
the times come from the caller (`clock.now()`), never from the wall, so tests step time exactly.

Writes (per shard): 1 MiB/s and 1,000 records/s. PutRecords admits record by record, so part of a
batch can pass and the rest fail with ProvisionedThroughputExceededException, as on AWS; a record
takes from both buckets or from neither. AWS absorbs records of up to 10 MiB with a burst "tank"
that large records drain and that refills at the 1 MiB/s baseline; here the tank is the byte bucket's
depth, as large as the stream's largest allowed record (at least 1 MiB): a 10 MiB record passes on an
idle shard of a stream with MaxRecordSizeInKiB 10240, and sustained traffic still averages at most
1 MiB/s.

Reads (per shard): 5 GetRecords calls/s and 2 MiB/s. A call's size is known only after reading and
may be up to 10 MiB, so reads work on credit: a call is admitted while the byte balance is not
negative and is then charged what it returned, driving the balance below zero. The byte bucket holds
no reserve (burst 0), so a read of N bytes shuts reads for N / 2 MiB seconds: 5 s after a 10 MiB
read and 1 s after a 2 MiB one, the two figures in AWS's GetRecords documentation.

Control plane: `RateLimiter` keeps one bucket per (operation, scope), e.g. ("CreateStream", account),
for the TPS limits over which AWS answers LimitExceededException.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

MIB = 1024 * 1024

WRITE_BYTES_PER_S = 1 * MIB
WRITE_RECORDS_PER_S = 1000
READ_BYTES_PER_S = 2 * MIB
READ_CALLS_PER_S = 5


class TokenBucket:
    """Tokens refilled at `rate_per_s` up to `burst`; starts full."""

    __slots__ = ("burst", "rate", "_tokens", "_updated")

    def __init__(self, rate_per_s: float, burst: float, now: float | None = None) -> None:
        if rate_per_s <= 0 or burst < 0:
            raise ValueError("rate must be positive and burst non-negative")
        self.rate = float(rate_per_s)
        self.burst = float(burst)
        self._tokens = self.burst
        self._updated = now  # None: never used, so full whatever the time of first use

    def available(self, now: float) -> float:
        """The balance at `now` (negative while a debt is being paid back)."""
        updated = self._updated
        if updated is None or now > updated:
            if updated is not None:
                self._tokens = min(self.burst, self._tokens + (now - updated) * self.rate)
            self._updated = now
        return self._tokens  # a `now` earlier than the last update sees no refill

    def try_take(self, amount: float, now: float) -> bool:
        """Takes `amount` tokens if they are all there, else takes nothing."""
        if self.available(now) >= amount:
            self._tokens -= amount
            return True
        return False

    def charge(self, amount: float, now: float) -> None:
        """Takes `amount` unconditionally; the balance may go negative (a debt refilled over time)."""
        self.available(now)
        self._tokens -= amount

    def debit(self, amount: float) -> None:
        """Takes `amount` as of the last update, for a caller that has just read `available(now)`."""
        self._tokens -= amount

    def resize(self, burst: float, now: float) -> None:
        """A new depth that keeps what is missing: an idle (full) bucket stays full, a drained one
        stays drained by as much, and nothing is above the new depth."""
        if burst < 0:
            raise ValueError("burst must be non-negative")
        tokens = self.available(now)
        self._tokens = min(burst, tokens + max(0.0, burst - self.burst))
        self.burst = float(burst)

    def seconds_until(self, amount: float, now: float) -> float:
        """How long until `amount` tokens are there (inf if more than the bucket can hold)."""
        missing = amount - self.available(now)
        if missing <= 0:
            return 0.0
        return float("inf") if amount > self.burst else missing / self.rate


class ShardLimits:
    """The data-plane limits of one shard of a stream whose records may be `max_record_bytes` long."""

    __slots__ = ("read_bytes", "read_calls", "write_bytes", "write_records")

    def __init__(
        self,
        max_record_bytes: int = MIB,
        *,
        write_bytes_per_s: float = WRITE_BYTES_PER_S,
        write_records_per_s: float = WRITE_RECORDS_PER_S,
        read_bytes_per_s: float = READ_BYTES_PER_S,
        read_calls_per_s: float = READ_CALLS_PER_S,
    ) -> None:
        # The tank: deep enough for the largest record the stream accepts, refilled at the baseline.
        self.write_bytes = TokenBucket(write_bytes_per_s, _tank(write_bytes_per_s, max_record_bytes))
        self.write_records = TokenBucket(write_records_per_s, write_records_per_s)
        self.read_bytes = TokenBucket(read_bytes_per_s, 0)  # pure debt: see the module comment
        self.read_calls = TokenBucket(read_calls_per_s, read_calls_per_s)

    def resize(self, max_record_bytes: int, now: float) -> None:
        """UpdateMaxRecordSize: the tank follows the stream's new largest record."""
        self.write_bytes.resize(_tank(self.write_bytes.rate, max_record_bytes), now)

    def admit_write(self, size: int, now: float) -> bool:
        """One record of `size` bytes (data + partition key): takes from both buckets, or neither."""
        if self.write_records.available(now) < 1 or self.write_bytes.available(now) < size:
            return False
        self.write_records.debit(1)
        self.write_bytes.debit(size)
        return True

    def admit_writes(self, sizes: Sequence[int], now: float) -> list[bool]:
        """PutRecords: each record in order; a small record may pass after a bigger one failed."""
        records_left = self.write_records.available(now)
        bytes_left = self.write_bytes.available(now)
        admitted: list[bool] = []
        taken_records = taken_bytes = 0
        for size in sizes:  # plain local arithmetic: 500 checks cost microseconds
            ok = records_left - taken_records >= 1 and bytes_left - taken_bytes >= size
            if ok:
                taken_records += 1
                taken_bytes += size
            admitted.append(ok)
        self.write_records.debit(taken_records)
        self.write_bytes.debit(taken_bytes)
        return admitted

    def admit_read(self, now: float) -> bool:
        """A GetRecords call: needs a call token and no outstanding byte debt."""
        return self.read_bytes.available(now) >= 0 and self.read_calls.try_take(1, now)

    def charge_read(self, size: int, now: float) -> None:
        """Bills the bytes an admitted GetRecords call returned (may leave a debt)."""
        self.read_bytes.charge(size, now)


def _tank(rate: float, max_record_bytes: int) -> float:
    return max(rate, float(max_record_bytes))


Scope = Literal["account", "stream", "shard", "consumer-shard"]

# Control-plane TPS from the model's operation docs: (calls per second, what the limit is per).
CONTROL_PLANE_TPS: Mapping[str, tuple[float, Scope]] = {
    "AddTagsToStream": (5, "account"),
    "CreateChannel": (5, "account"),
    "CreateStream": (5, "account"),
    "DeleteChannel": (5, "account"),
    "DeleteStream": (5, "account"),
    "DeregisterStreamConsumer": (5, "stream"),
    "DescribeAccountSettings": (5, "account"),
    "DescribeChannel": (5, "account"),
    "DescribeLimits": (1, "account"),
    "DescribeStream": (10, "account"),
    "DescribeStreamConsumer": (20, "stream"),
    "DescribeStreamSummary": (20, "account"),
    "GetShardIterator": (5, "shard"),  # per account per open shard
    "ListChannels": (5, "account"),
    "ListShards": (1000, "stream"),
    "ListStreamConsumers": (5, "stream"),
    "ListStreams": (5, "account"),
    "ListTagsForStream": (5, "account"),
    "MergeShards": (5, "account"),
    "RegisterStreamConsumer": (5, "account"),
    "RemoveTagsFromStream": (5, "account"),
    "SplitShard": (5, "account"),
    "SubscribeToShard": (1, "consumer-shard"),
    "UpdateAccountSettings": (5, "account"),
    "UpdateChannel": (5, "account"),
    "UpdateMaxRecordSize": (5, "account"),  # not in the model text; the research's figure
    "UpdateShardCount": (10, "account"),
    "UpdateStreamWarmThroughput": (5, "account"),
}


class RateLimiter:
    """Calls per second per (operation, scope); operations without a rate are not limited."""

    __slots__ = ("_buckets", "_rates")

    MAX_KEYS = 10_000

    def __init__(self, rates: Mapping[str, float]) -> None:
        self._rates = dict(rates)
        self._buckets: dict[tuple[str, Hashable], TokenBucket] = {}

    @classmethod
    def for_kinesis(cls) -> RateLimiter:
        return cls({operation: tps for operation, (tps, _) in CONTROL_PLANE_TPS.items()})

    def allow(self, operation: str, scope: Hashable, now: float) -> bool:
        rate = self._rates.get(operation)
        if rate is None:
            return True
        key = (operation, scope)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_KEYS:
                self._forget_idle(now)
            # A burst of at least one call, so rates below 1/s (one call every 1/rate s) still work.
            bucket = self._buckets[key] = TokenBucket(rate, max(1.0, rate))
        return bucket.try_take(1, now)

    def _forget_idle(self, now: float) -> None:
        # A full bucket behaves exactly like a missing one, so dropping it changes nothing.
        for key in [k for k, b in self._buckets.items() if b.available(now) >= b.burst]:
            del self._buckets[key]
