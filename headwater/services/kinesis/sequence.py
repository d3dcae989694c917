"""Kinesis sequence numbers: AWS's 56-digit layout, carrying our per-shard log offset.

Theory of operation
-------------------
Clients treat sequence numbers as opaque decimal strings, but they compare them as big integers
(KCL `ExtendedSequenceNumber`, Flink, Spark), check that they have ~56 digits, and a few tools decode
them. So we mint numbers in the layout AWS uses (as reverse-engineered by kinesalite, and confirmed on
the real number 49594189147623985939251953501666965394405037144469929986): one 47-digit hex number,

    2 | shard created (9 hex, epoch s) | shard index & 0xF (1) | counter (16 hex, top nibble <= 7)
      | 00 | record arrival (9 hex, epoch s) | shard index (8 hex, top nibble <= 7) | 2

written in decimal. The leading 2 pins the magnitude (every number has exactly 56 digits) and the
trailing 2 is the layout version.

Within one shard the creation time and the index nibble are constant, so numeric order is decided by
the counter: numeric order == counter order == append order.

Counters: a record's counter is its log offset + 1, and counter 0 is the shard's
StartingSequenceNumber (arrival == creation time). So the starting number is below every record, and
both AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER of it read from the first record, while a record's
number maps back to its offset with no index: AT reads from `counter - 1`, AFTER from `counter`
(`read_offset`). (AWS shares counters across groups of shards; nothing observable depends on that.)

A closed shard's EndingSequenceNumber, as on AWS, uses the maximum counter: no record ever reaches it
(consumers detect shard end by the missing NextShardIterator), and AWS refuses AFTER_SEQUENCE_NUMBER
on it ("SequenceNumber has reached max possible value for the shard").
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = 2
MAX_COUNTER = 2**63 - 1  # 16 hex digits with the top nibble <= 7; reserved for EndingSequenceNumber
MAX_SHARD_INDEX = 2**31 - 1
MAX_EPOCH_S = 16**9 - 1  # 9 hex digits: year 4147

_MIN = 2 * 16**46  # "2" followed by 46 zero digits
_LIMIT = 3 * 16**46  # exclusive: the leading digit must be 2

# Bit offsets of each field, counted from the least significant end of the 188-bit number.
_SHIFT_CREATED = 4 * 37
_SHIFT_NIBBLE = 4 * 36
_SHIFT_COUNTER = 4 * 20
_SHIFT_ARRIVAL = 4 * 9
_SHIFT_INDEX = 4 * 1


@dataclass(frozen=True, slots=True)
class SequenceParts:
    shard_created_s: int
    shard_index: int
    counter: int
    arrival_s: int


def make(shard_created_s: int, shard_index: int, counter: int, arrival_s: int) -> str:
    """The number with these fields; `counter` is the record's log offset + 1 (0: the shard's start)."""
    if not 0 <= shard_created_s <= MAX_EPOCH_S:
        raise ValueError(f"shard creation time out of range: {shard_created_s}")
    if not 0 <= shard_index <= MAX_SHARD_INDEX:
        raise ValueError(f"shard index out of range: {shard_index}")
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError(f"counter out of range: {counter}")
    if not 0 <= arrival_s <= MAX_EPOCH_S:
        raise ValueError(f"arrival time out of range: {arrival_s}")
    value = (
        _MIN
        | shard_created_s << _SHIFT_CREATED
        | (shard_index & 0xF) << _SHIFT_NIBBLE
        | counter << _SHIFT_COUNTER
        | arrival_s << _SHIFT_ARRIVAL
        | shard_index << _SHIFT_INDEX
        | VERSION
    )
    return str(value)


def for_record(shard_created_s: int, shard_index: int, offset: int, arrival_s: int) -> str:
    """The sequence number of the record at log `offset`."""
    return make(shard_created_s, shard_index, offset + 1, arrival_s)


def read_offset(parts: SequenceParts, *, after: bool) -> int:
    """Where AT_SEQUENCE_NUMBER (after=False) or AFTER_SEQUENCE_NUMBER (after=True) starts reading."""
    return parts.counter if after else max(parts.counter - 1, 0)


def starting(shard_created_s: int, shard_index: int) -> str:
    """The shard's StartingSequenceNumber: <= the number of its first record."""
    return make(shard_created_s, shard_index, 0, shard_created_s)


def ending(shard_created_s: int, shard_index: int, closed_s: int) -> str:
    """A closed shard's EndingSequenceNumber: above every record the shard holds."""
    return make(shard_created_s, shard_index, MAX_COUNTER, closed_s)


def is_shard_end(parts: SequenceParts) -> bool:
    return parts.counter == MAX_COUNTER


def parse(seq: str) -> SequenceParts:
    """Decodes a version-2 sequence number; ValueError if it is malformed or of another version."""
    # Every version-2 number has exactly 56 digits; checking first also bounds the int() work. The
    # 00 byte and the index nibble are not checked: nothing suggests AWS checks them either.
    if len(seq) != 56 or not seq.isascii() or not seq.isdigit():
        raise ValueError(f"not a version-2 sequence number: {seq!r}")
    value = int(seq)
    if not _MIN <= value < _LIMIT or value & 0xF != VERSION:
        raise ValueError(f"not a version-2 sequence number: {seq}")
    counter = value >> _SHIFT_COUNTER & (16**16 - 1)
    shard_index = value >> _SHIFT_INDEX & (16**8 - 1)
    if counter > MAX_COUNTER:
        raise ValueError(f"sequence counter too high: {seq}")
    if shard_index > MAX_SHARD_INDEX:
        raise ValueError(f"shard index too high: {seq}")
    return SequenceParts(
        shard_created_s=value >> _SHIFT_CREATED & MAX_EPOCH_S,
        shard_index=shard_index,
        counter=counter,
        arrival_s=value >> _SHIFT_ARRIVAL & MAX_EPOCH_S,
    )
