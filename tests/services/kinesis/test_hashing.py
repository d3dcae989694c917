import random

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.kinesis.hashing import (
    MAX_HASH,
    HashRouter,
    even_ranges,
    parse_explicit_hash_key,
    partition_hash,
)


def test_max_hash():
    assert MAX_HASH == 340282366920938463463374607431768211455


def test_partition_hash_is_md5_of_utf8_big_endian():
    assert partition_hash("a") == 0x0CC175B9C0F1B6A831C399E269772661
    assert partition_hash("é€😀") == 0x3B07A39FEF0AC5D7EF21575E7315A482


def test_one_shard_covers_everything():
    assert even_ranges(1) == [(0, MAX_HASH)]


def test_two_shards_match_aws():
    assert even_ranges(2) == [
        (0, 170141183460469231731687303715884105727),
        (170141183460469231731687303715884105728, MAX_HASH),
    ]


def test_three_shards_match_aws():
    # The boundaries AWS returns (kinesalite's createStream test, run against AWS).
    assert even_ranges(3) == [
        (0, 113427455640312821154458202477256070484),
        (113427455640312821154458202477256070485, 226854911280625642308916404954512140969),
        (226854911280625642308916404954512140970, MAX_HASH),
    ]


def test_four_shards():
    quarter = 2**126
    assert even_ranges(4) == [
        (0, quarter - 1),
        (quarter, 2 * quarter - 1),
        (2 * quarter, 3 * quarter - 1),
        (3 * quarter, MAX_HASH),
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 10, 13, 100, 999, 10_000])
def test_ranges_tile_the_key_space(count):
    ranges = even_ranges(count)
    assert len(ranges) == count
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert start == end + 1
    widths = {end - start + 1 for start, end in ranges[:-1]}
    assert len(widths) <= 1  # all equal but the last, which takes the remainder
    assert HashRouter((s, e, i) for i, (s, e) in enumerate(ranges)).covers_all()


def test_even_ranges_rejects_zero():
    with pytest.raises(ValueError):
        even_ranges(0)


def router_for(count):
    return HashRouter((start, end, f"shard-{i}") for i, (start, end) in enumerate(even_ranges(count)))


def test_route_boundaries_are_inclusive():
    router = router_for(3)
    (_, end0), (start1, end1), (start2, _) = even_ranges(3)
    assert router.route(0) == "shard-0"
    assert router.route(end0) == "shard-0"  # a key equal to EndingHashKey belongs to that shard
    assert router.route(start1) == "shard-1"
    assert router.route(end1) == "shard-1"
    assert router.route(start2) == "shard-2"
    assert router.route(MAX_HASH) == "shard-2"


def test_route_agrees_with_a_linear_scan():
    rng = random.Random(3)
    ranges = even_ranges(37)
    router = HashRouter((s, e, i) for i, (s, e) in reversed(list(enumerate(ranges))))  # any input order
    for _ in range(2000):
        h = rng.randrange(MAX_HASH + 1)
        assert router.route(h) == next(i for i, (s, e) in enumerate(ranges) if s <= h <= e)


def test_uneven_ranges_after_a_split():
    router = HashRouter([(0, 99, "a"), (100, 100, "b"), (101, MAX_HASH, "c")])
    assert [router.route(h) for h in (99, 100, 101)] == ["a", "b", "c"]
    assert router.covers_all() and len(router) == 3


def test_gap_raises_key_error_and_is_reported():
    router = HashRouter([(0, 10, "a"), (20, MAX_HASH, "b")])
    assert not router.covers_all()
    with pytest.raises(KeyError):
        router.route(15)
    assert router.route(20) == "b"


def test_out_of_range_keys_raise():
    router = HashRouter([(0, 10, "a")])
    with pytest.raises(KeyError):
        router.route(11)
    assert not router.covers_all()
    assert not HashRouter([]).covers_all()


@pytest.mark.parametrize(
    "ranges",
    [
        [(0, 10, "a"), (10, MAX_HASH, "b")],  # overlap on one key
        [(5, 4, "a")],  # start after end
        [(0, MAX_HASH + 1, "a")],
        [(-1, 3, "a")],
    ],
)
def test_invalid_ranges_are_refused(ranges):
    with pytest.raises(ValueError):
        HashRouter(ranges)


@pytest.mark.parametrize("value", ["0", "1", "170141183460469231731687303715884105728", str(MAX_HASH)])
def test_explicit_hash_key_in_range(value):
    assert parse_explicit_hash_key(value) == int(value)


def test_explicit_hash_key_out_of_range_message_is_aws_exact():
    value = str(2**128)
    with pytest.raises(AwsError) as info:
        parse_explicit_hash_key(value)
    assert info.value.code == "InvalidArgumentException"
    assert info.value.status == 400
    assert info.value.message == (
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
        "Specified value was 340282366920938463463374607431768211456"
    )


@pytest.mark.parametrize("value", ["", "-1", "01", "1.5", "abc", " 1", "1" * 40, "٣"])
def test_explicit_hash_key_malformed(value):
    with pytest.raises(AwsError) as info:
        parse_explicit_hash_key(value)
    assert info.value.code == "InvalidArgumentException"
