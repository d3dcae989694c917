"""AWS CBOR 1.1 codec: the Java SDK's tag-1 millisecond timestamps, byte-string blobs, bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2
import pytest

from headwater.protocol import cbor_codec
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model


def parse(operation: str, value: Any) -> dict[str, Any]:
    body = value if isinstance(value, bytes) else cbor2.dumps(value)
    return cbor_codec.parse_request(operation_model("kinesis", operation), body)


def serialization_message(operation: str, value: Any) -> str:
    with pytest.raises(AwsError) as caught:
        parse(operation, value)
    assert caught.value.code == "SerializationException"
    return caught.value.message


def timestamp(value: Any) -> float:
    return parse("GetShardIterator", {"Timestamp": value})["Timestamp"]


def test_java_sdk_put_record() -> None:
    body = cbor2.dumps({"StreamName": "s", "Data": b"\x00\x01\xff", "PartitionKey": "k"})
    assert parse("PutRecord", body) == {"StreamName": "s", "Data": b"\x00\x01\xff", "PartitionKey": "k"}


def test_indefinite_length_containers() -> None:
    # Jackson may stream maps and arrays with indefinite lengths (major type 5/4, additional info 31).
    body = (
        b"\xbf"
        + cbor2.dumps("StreamName")
        + cbor2.dumps("s")
        + cbor2.dumps("Records")
        + b"\x9f\xbf"
        + cbor2.dumps("Data")
        + cbor2.dumps(b"x")
        + cbor2.dumps("PartitionKey")
        + cbor2.dumps("k")
        + b"\xff\xff\xff"
    )
    assert parse("PutRecords", body) == {"StreamName": "s", "Records": [{"Data": b"x", "PartitionKey": "k"}]}


def test_tag1_integer_milliseconds_as_the_java_sdk_sends_them() -> None:
    assert timestamp(cbor2.CBORTag(1, 1700000000500)) == 1700000000.5
    assert timestamp(cbor2.CBORTag(1, -1700000000500)) == -1700000000.5


def test_tag1_small_integers_and_floats_are_seconds() -> None:
    assert timestamp(cbor2.CBORTag(1, 1700000000)) == 1700000000.0
    assert timestamp(cbor2.CBORTag(1, 1700000000.25)) == 1700000000.25
    assert timestamp(cbor2.CBORTag(1, 0)) == 0.0


def test_untagged_numbers_follow_the_magnitude_rule() -> None:
    assert timestamp(1700000000500) == 1700000000.5
    assert timestamp(1700000000) == 1700000000.0
    assert timestamp(1700000000.5) == 1700000000.5
    assert timestamp(1700000000500.0) == 1700000000.5


def test_other_timestamp_forms() -> None:
    assert timestamp(cbor2.CBORTag(0, "2023-11-14T22:13:20.5Z")) == 1700000000.5
    assert timestamp("2023-11-14T22:13:20.500+00:00") == 1700000000.5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (cbor2.CBORTag(1, "x"), "class java.lang.String can not be converted to an Date"),
        ("soon", "'soon' can not be converted to an Date"),
        (True, "class java.lang.Boolean can not be converted to an Date"),
        (b"\x01", "class [B can not be converted to an Date"),
    ],
)
def test_bad_timestamps(value: Any, message: str) -> None:
    assert serialization_message("GetShardIterator", {"Timestamp": value}) == message


def test_tag1_where_no_timestamp_is_expected_is_refused() -> None:
    assert "can not be converted to an String" in serialization_message(
        "PutRecord", {"StreamName": cbor2.CBORTag(1, 5)}
    )


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("Data", "AAE=", "class java.lang.String can not be converted to a Blob"),
        (
            "Data",
            5,
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob",
        ),
        ("StreamName", b"s", "class [B can not be converted to an String"),
        ("StreamName", ["s"], "Start of list found where not expected"),
        (
            "DryRun",
            1,
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean",
        ),
    ],
)
def test_wrong_types(member: str, value: Any, message: str) -> None:
    assert serialization_message("PutRecord", {member: value}) == message


@pytest.mark.parametrize("body", [b"\xa1", b"\xff", b"\xa1\x61", b"\x7f\x61"])
def test_malformed_cbor(body: bytes) -> None:
    assert serialization_message("ListStreams", body) == ""


def test_non_string_map_keys_are_refused() -> None:
    assert serialization_message("ListStreams", cbor2.dumps({(1, 2): 3})) == ""


def test_top_level_shapes() -> None:
    assert parse("ListStreams", b"") == {}
    assert parse("ListStreams", cbor2.dumps(None)) == {}
    assert serialization_message("ListStreams", cbor2.dumps([1])) == "Start of list found where not expected"
    assert serialization_message("ListStreams", cbor2.dumps(7)) == "Expected null"
    assert parse("ListStreams", {"Limit": 3, "Unknown": b"x"}) == {"Limit": 3}


def _raw_tag1(value: Any, *_: Any) -> tuple[str, Any]:
    return ("tag1", value)


def test_response_timestamps_are_tag1_integer_millis() -> None:
    op = operation_model("kinesis", "GetRecords")
    when = dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)
    records = [
        {"SequenceNumber": "1", "Data": b"\x00", "PartitionKey": "k", "ApproximateArrivalTimestamp": when},
        {
            "SequenceNumber": "2",
            "Data": b"",
            "PartitionKey": "k",
            "ApproximateArrivalTimestamp": 1700000000.123,
        },
        {
            "SequenceNumber": "3",
            "Data": bytearray(b"z"),
            "PartitionKey": "k",
            "ApproximateArrivalTimestamp": 1700000001,
        },
    ]
    body = cbor_codec.serialize_response(op, {"Records": records, "MillisBehindLatest": 0})
    decoded = cbor2.loads(body, semantic_decoders={1: _raw_tag1})
    stamps = [r["ApproximateArrivalTimestamp"] for r in decoded["Records"]]
    assert stamps == [("tag1", 1700000000500), ("tag1", 1700000000123), ("tag1", 1700000001000)]
    assert all(type(value) is int for _, value in stamps)
    assert [type(r["Data"]) for r in decoded["Records"]] == [bytes, bytes, bytes]
    assert decoded["Records"][2]["Data"] == b"z"
    # The raw bytes: tag 1 (0xc1) then an unsigned 64-bit integer (0x1b), never a float.
    assert b"\xc1\x1b" + (1700000000500).to_bytes(8, "big") in body


def test_errors_and_content_type() -> None:
    assert cbor2.loads(cbor_codec.serialize_error("ResourceNotFoundException", "gone")) == {
        "__type": "ResourceNotFoundException",
        "message": "gone",
    }
    assert cbor2.loads(cbor_codec.serialize_error("SerializationException", "")) == {
        "__type": "SerializationException"
    }
    assert cbor_codec.CONTENT_TYPE == "application/x-amz-cbor-1.1"
    assert cbor_codec.serialize_response(operation_model("kinesis", "CreateStream"), {}) == b""
