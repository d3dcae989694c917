import random

import pytest

from headwater.services.kinesis import sequence
from headwater.services.kinesis.sequence import MAX_COUNTER, MAX_EPOCH_S, MAX_SHARD_INDEX, SequenceParts

# A real AWS sequence number (quoted in kinesalite PR #87).
AWS_NUMBER = "49594189147623985939251953501666965394405037144469929986"
CREATED = 1_700_000_000


def hex_number(digits: str) -> str:
    return str(int(digits, 16))


def test_decodes_a_real_aws_number():
    parts = sequence.parse(AWS_NUMBER)
    # Shard created 2019-03-26 02:51:52 UTC, record 195 arrived 23 s later, shard 0.
    assert parts == SequenceParts(
        shard_created_s=1553568712, shard_index=0, counter=195, arrival_s=1553568735
    )
    assert sequence.make(1553568712, 0, 195, 1553568735) == AWS_NUMBER


@pytest.mark.parametrize(
    "fields",
    [
        (0, 0, 0, 0),
        (MAX_EPOCH_S, MAX_SHARD_INDEX, MAX_COUNTER, MAX_EPOCH_S),
        (CREATED, 17, 12345, CREATED + 9),
        (CREATED, 0xABCDEF, 2**40, CREATED),
    ],
)
def test_round_trip_and_always_56_digits(fields):
    number = sequence.make(*fields)
    assert len(number) == 56 and number.isdigit()
    assert sequence.parse(number) == SequenceParts(*fields)


def test_round_trip_random():
    rng = random.Random(7)
    for _ in range(500):
        fields = (
            rng.randrange(MAX_EPOCH_S + 1),
            rng.randrange(MAX_SHARD_INDEX + 1),
            rng.randrange(MAX_COUNTER + 1),
            rng.randrange(MAX_EPOCH_S + 1),
        )
        assert sequence.parse(sequence.make(*fields)) == SequenceParts(*fields)


def test_hex_layout_matches_aws():
    number = sequence.make(0x65E0A1B2, 0x1234, 0x2A, 0x65E0A1C0)
    assert (
        format(int(number), "x")
        == "2" + "065e0a1b2" + "4" + "000000000000002a" + "00" + "065e0a1c0" + "00001234" + "2"
    )


def test_starting_numbers_of_sibling_shards_differ_as_on_aws():
    # kinesalite's createStream test, validated against AWS: shards created together differ by this.
    a, b, c = (int(sequence.starting(CREATED, i)) for i in range(3))
    assert b - a == c - b == 22300745198530623141535718272648361505980432


def test_numeric_order_is_counter_order_even_if_arrival_goes_back():
    earlier = sequence.for_record(CREATED, 3, 41, CREATED + 100)
    later = sequence.for_record(CREATED, 3, 42, CREATED + 50)  # clock stepped back
    assert int(earlier) < int(later)


def test_numbers_increase_with_offset_within_a_shard():
    numbers = [int(sequence.for_record(CREATED, 5, offset, CREATED + offset // 7)) for offset in range(200)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_starting_number_is_below_every_record_and_reads_from_the_first():
    start = sequence.starting(CREATED, 2)
    first = sequence.for_record(CREATED, 2, 0, CREATED)  # arrived in the shard's first second
    assert int(start) < int(first)
    parts = sequence.parse(start)
    assert sequence.read_offset(parts, after=False) == 0
    assert sequence.read_offset(parts, after=True) == 0


def test_read_offsets_of_a_record():
    parts = sequence.parse(sequence.for_record(CREATED, 2, 9, CREATED + 1))
    assert sequence.read_offset(parts, after=False) == 9
    assert sequence.read_offset(parts, after=True) == 10


def test_ending_number_is_above_every_record():
    end = sequence.ending(CREATED, 4, CREATED + 60)
    last_possible = sequence.for_record(CREATED, 4, MAX_COUNTER - 2, MAX_EPOCH_S)
    assert int(end) > int(last_possible)
    assert sequence.is_shard_end(sequence.parse(end))
    assert not sequence.is_shard_end(sequence.parse(sequence.starting(CREATED, 4)))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "0",
        "1",
        "abc",
        " " + AWS_NUMBER[1:],
        AWS_NUMBER + "0",
        AWS_NUMBER[:-1],
        "٣" * 56,  # Unicode digits are digits to str.isdigit
        hex_number("20000000000000000000000000000000000000000000000"),  # version 0
        hex_number("20000000000000000000000000000000000000000000001"),  # version 1
        hex_number("20000000000000000000000000000000000000000000003"),  # version 3
        hex_number("20000000000000000000000000000000000000000000004"),  # version 4
        hex_number("1ffffffffff7fffffffffffffff000000000007fffffff2"),  # leading 1
        hex_number("30000000000000000000000000000000000000000000002"),  # leading 3
        hex_number("20000000000800000000000000000000000000000000002"),  # counter top nibble 8
        hex_number("20000000000000000000000000000000000000800000002"),  # shard index top nibble 8
        hex_number("13bb2cc3d80000000000000000000000"),  # an old short layout
    ],
)
def test_parse_rejects_malformed_or_foreign_numbers(bad):
    with pytest.raises(ValueError):
        sequence.parse(bad)


def test_parse_accepts_the_extremes_aws_accepts():
    # kinesalite tests, validated against AWS: all-f and all-0 version-2 numbers are valid.
    assert (
        sequence.parse(hex_number("2ffffffffff7fffffffffffffff000000000007fffffff2")).counter == MAX_COUNTER
    )
    assert sequence.parse(hex_number("20000000000000000000000000000000000000000000002")).counter == 0


@pytest.mark.parametrize(
    "fields",
    [
        (-1, 0, 0, 0),
        (MAX_EPOCH_S + 1, 0, 0, 0),
        (0, -1, 0, 0),
        (0, MAX_SHARD_INDEX + 1, 0, 0),
        (0, 0, -1, 0),
        (0, 0, MAX_COUNTER + 1, 0),
        (0, 0, 0, MAX_EPOCH_S + 1),
    ],
)
def test_make_rejects_out_of_range_fields(fields):
    with pytest.raises(ValueError):
        sequence.make(*fields)
