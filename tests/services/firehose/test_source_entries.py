"""The raw log entry of a Kinesis source: PutRecordBatch's layout first (the delivery worker's byte
path reads it unchanged), each record's Kinesis metadata in a trailer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from headwater.services.firehose import batches
from headwater.services.firehose.records import KinesisMetadata
from headwater.services.firehose.sources import entries

records = st.lists(
    st.tuples(
        st.binary(max_size=64),
        st.text(min_size=1, max_size=20),
        st.from_regex(r"[0-9]{56}", fullmatch=True),
        st.integers(0, 10_000),
        st.integers(0, 2**45),
    ),
    max_size=30,
)


@given(records)
def test_round_trip_and_batches_layout(given_records: list[tuple[bytes, str, str, int, int]]) -> None:
    columns = entries.Columns()
    for _, key, number, sub, at in given_records:
        columns.add(key, number, sub, at)
    payload = entries.encode("shardId-000000000007", [r[0] for r in given_records], columns)
    assert batches.decode(payload) == [r[0] for r in given_records]
    expected = [KinesisMetadata("shardId-000000000007", k, n, s, a) for _, k, n, s, a in given_records]
    assert entries.metadata(payload) == expected


def test_a_direct_put_entry_has_no_metadata() -> None:
    assert entries.metadata(batches.encode([b"a", b"bc"])) == []
    assert entries.metadata(batches.encode([])) == []
