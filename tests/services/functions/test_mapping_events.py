"""The Kinesis event template gives the bytes of the generic encoding; the payload cap counts them."""

from __future__ import annotations

import json

from headwater.services.functions.mappings import events
from headwater.services.ports import StreamRecord


def test_the_template_matches_the_generic_encoding() -> None:
    role = 'arn:aws:iam::000000000000:role/r"quoted'
    encoder = events.KinesisEncoder(
        "shardId-000000000001", "arn:aws:kinesis:us-east-1:1:stream/s", "us-east-1", role
    )
    for record in (
        StreamRecord("4959", "key", b"\x00\xffdata", 1700000000.123),
        StreamRecord("1", 'ké"y\n', b"", 1700000000.0),
    ):
        generic = events.kinesis_record(
            record, "shardId-000000000001", "arn:aws:kinesis:us-east-1:1:stream/s", "us-east-1", role
        )
        assert encoder.encode(record) == events.encoded(generic)
    parts = [encoder.encode(StreamRecord(str(i), "k", b"x", 1.5)) for i in range(3)]
    assert json.loads(events.payload(parts, {"state": {}}))["Records"][2]["kinesis"]["sequenceNumber"] == "2"
    assert list(json.loads(events.payload(parts, {"state": {"a": 1}}))) == ["Records", "state"]


def test_fitting_counts_the_event_bytes() -> None:
    big = "x" * (2 * 1024 * 1024)
    assert events.fitting([big, big, big, big]) == 2
    assert events.fitting([big * 4]) == 1  # one record always goes
    assert events.fitting(["{}"] * 10) == 10
