"""The 128-bit hash key space: partition-key hashing, even splits, routing a key to its shard.

Hash key ranges are inclusive at both ends and the open shards of a stream tile 0..2**128-1 exactly,
so a key equal to a shard's EndingHashKey belongs to that shard (moto gets this wrong). The KPL
predicts shards from ListShards and the KCL drops aggregated records whose keys fall outside a lease's
range, so routing here must agree with the ranges we publish, to the last key.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from typing import Generic, TypeVar

from headwater.protocol.errors import AwsError

MAX_HASH = 2**128 - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,38}")

T = TypeVar("T")


@lru_cache(maxsize=8192)
def partition_hash(key: str) -> int:
    """MD5 of the UTF-8 partition key as an unsigned big-endian integer, as AWS (and the KPL) do.
    Cached: producers reuse a few keys (a device id, a topic level), and each hashlib.md5 call
    costs microseconds of OpenSSL set-up, more than the digest of a short key."""
    return int.from_bytes(hashlib.md5(key_bytes(key), usedforsecurity=False).digest(), "big")


def key_bytes(key: str) -> bytes:
    """UTF-8 of a partition key; a lone surrogate (valid in JSON) becomes '?', as Java's encoder does."""
    return key.encode("utf-8", "replace")


def even_ranges(count: int) -> list[tuple[int, int]]:
    """CreateStream's split of the key space into `count` inclusive ranges.

    Every range is floor(2**128 / count) keys wide except the last, which takes the remainder (e.g. 3
    shards end at ...070484, ...140969 and 2**128-1, as AWS answers).
    """
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {count}")
    step = (MAX_HASH + 1) // count
    starts = [i * step for i in range(count)]
    ends = [start - 1 for start in starts[1:]] + [MAX_HASH]
    return list(zip(starts, ends, strict=True))


def parse_explicit_hash_key(value: str) -> int:
    """An ExplicitHashKey string as an integer, or AWS's InvalidArgumentException when out of range."""
    if not _DECIMAL.fullmatch(value) or (parsed := int(value)) > MAX_HASH:
        raise AwsError(
            "InvalidArgumentException",
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {value}",
        )
    return parsed


class HashRouter(Generic[T]):
    """Maps a hash key to the open shard whose inclusive range holds it, in O(log n).

    Built from (start, end, shard) triples in any order. Ranges must not overlap; gaps are allowed
    (a key in a gap raises KeyError) so a half-built shard set can still be inspected.
    """

    __slots__ = ("_ends", "_shards", "_starts")

    def __init__(self, ranges: Iterable[tuple[int, int, T]]) -> None:
        ordered = sorted(ranges, key=lambda r: r[0])
        previous_end = -1
        for start, end, _ in ordered:
            if not 0 <= start <= end <= MAX_HASH:
                raise ValueError(f"invalid hash key range [{start}, {end}]")
            if start <= previous_end:
                raise ValueError(f"hash key range [{start}, {end}] overlaps the previous one")
            previous_end = end
        self._starts = [r[0] for r in ordered]
        self._ends = [r[1] for r in ordered]
        self._shards = [r[2] for r in ordered]

    def route(self, h: int) -> T:
        i = bisect_left(self._ends, h)  # the first range ending at or after h
        if i == len(self._ends) or self._starts[i] > h:
            raise KeyError(h)
        return self._shards[i]

    def covers_all(self) -> bool:
        """True when the ranges tile 0..MAX_HASH with no gap (the invariant for open shards)."""
        expected = 0
        for start, end in zip(self._starts, self._ends, strict=True):
            if start != expected:
                return False
            expected = end + 1
        return expected == MAX_HASH + 1

    def __len__(self) -> int:
        return len(self._shards)
