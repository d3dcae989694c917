"""The KPL aggregated record format: a hand-assembled vector, round trips, and the KCL's
pass-through of anything that is not a well-formed aggregate."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from headwater.protocol import kpl
from headwater.protocol.kpl import UserRecord


def test_known_vector() -> None:
    # AggregatedRecord{partition_key_table: ["pk"], records: [{partition_key_index: 0, data: "hi"}]}
    record = b"\x08\x00" + b"\x1a\x02hi"
    body = b"\x0a\x02pk" + b"\x1a" + bytes([len(record)]) + record
    blob = b"\xf3\x89\x9a\xc2" + body + hashlib.md5(body).digest()
    assert kpl.encode([UserRecord("pk", b"hi")]) == blob
    assert kpl.decode(blob) == [UserRecord("pk", b"hi")]


def test_key_tables_are_shared_and_tags_kept() -> None:
    records = [
        UserRecord("a", b"1", "123", (("k", "v"), ("flag", None))),
        UserRecord("b", b"2"),
        UserRecord("a", b"3", "123"),
    ]
    blob = kpl.encode(records)
    assert blob.count(b"123") == 1
    assert kpl.decode(blob) == records


def test_unknown_fields_are_skipped() -> None:
    record = b"\x08\x00\x1a\x01x" + b"\x28\x07" + b"\x35\x01\x02\x03\x04"  # field 5 varint, field 6 fixed32
    body = b"\x0a\x01p" + b"\x1a" + bytes([len(record)]) + record + b"\x21" + b"\x00" * 8  # field 4 fixed64
    blob = kpl.MAGIC + body + hashlib.md5(body).digest()
    assert kpl.decode(blob) == [UserRecord("p", b"x")]


def test_not_aggregated_passes_through() -> None:
    good = kpl.encode([UserRecord("a", b"1")])
    bad_digest = good[:-1] + bytes([good[-1] ^ 1])
    bad_index = kpl.MAGIC + b"\x1a\x04\x08\x05\x1a\x00"
    bad_index += hashlib.md5(bad_index[4:]).digest()
    truncated_body = kpl.MAGIC + b"\x0a\x09pk"
    truncated_body += hashlib.md5(truncated_body[4:]).digest()
    for blob in (b"plain", b"", kpl.MAGIC, bad_digest, bad_index, truncated_body, kpl.MAGIC + b"\x00" * 16):
        assert kpl.decode(blob) is None
        assert kpl.deaggregate(blob, partition_key="k", explicit_hash_key="9") == [UserRecord("k", blob, "9")]


def test_empty_aggregate_decodes_to_nothing() -> None:
    assert kpl.decode(kpl.encode([])) == []


user_records = st.builds(
    UserRecord,
    st.text(min_size=1, max_size=20),
    st.binary(max_size=200),
    st.one_of(st.none(), st.integers(0, 2**128 - 1).map(str)),
    st.lists(st.tuples(st.text(max_size=5), st.one_of(st.none(), st.text(max_size=5))), max_size=3).map(
        tuple
    ),
)


@given(st.lists(user_records, max_size=20))
def test_round_trip(records: list[UserRecord]) -> None:
    assert kpl.decode(kpl.encode(records)) == records


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(blob: bytes) -> None:
    kpl.deaggregate(blob)
    body = blob
    kpl.deaggregate(kpl.MAGIC + body + hashlib.md5(body).digest())
