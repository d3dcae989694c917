"""AWS JSON codec: AWS's SerializationException texts (kinesalite's AWS-validated suite) and edge cases."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from headwater.protocol import json_codec
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.protocol.validation import validate

NUMBER = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber"


def parse(operation: str, body: Any) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return json_codec.parse_request(operation_model("kinesis", operation), raw)


def serialization_message(operation: str, body: Any) -> str:
    with pytest.raises(AwsError) as caught:
        parse(operation, body)
    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400
    return caught.value.message


# (value, message) pairs from kinesalite test/helpers.js assertType, checked against AWS.
STRING_CASES = [
    (True, "class java.lang.Boolean can not be converted to an String"),
    (23, f"{NUMBER} can not be converted to an String"),
    (-2147483648, f"{NUMBER} can not be converted to an String"),
    (34.56, f"{NUMBER} can not be converted to an String"),
    ([], "Start of list found where not expected"),
    ({}, "Start of structure or map found where not expected."),
]
INTEGER_CASES = [
    ("23", "class java.lang.String can not be converted to an Integer"),
    (True, "class java.lang.Boolean can not be converted to an Integer"),
    ([], "Start of list found where not expected"),
    ({}, "Start of structure or map found where not expected."),
]
BLOB_CASES = [
    (True, "class java.lang.Boolean can not be converted to a Blob"),
    (23, f"{NUMBER} can not be converted to a Blob"),
    (34.56, f"{NUMBER} can not be converted to a Blob"),
    ([], "Start of list found where not expected"),
    ({}, "Start of structure or map found where not expected."),
    (
        "23456",
        "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5",
    ),
    ("=+/=", "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='"),
    ("+/+=", "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
    ("ab==", "'ab==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
    ("ab!d", "'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'"),
]
LIST_CASES = [
    ("23", "Expected list or null"),
    (True, "Expected list or null"),
    (23, "Expected list or null"),
    (34.56, "Expected list or null"),
    ({}, "Start of structure or map found where not expected."),
]
MAP_CASES = [
    ("23", "Expected map or null"),
    (True, "Expected map or null"),
    (34.56, "Expected map or null"),
    ([], "Start of list found where not expected"),
]
STRUCTURE_CASES = [
    ("23", "Expected null"),
    (True, "Expected null"),
    (23, "Expected null"),
    ([], "Start of list found where not expected"),
]
BOOLEAN_CASES = [
    ("23", "'23' can not be converted to an Boolean"),
    ("yes", "'YES' can not be converted to an Boolean"),
    (23, f"{NUMBER} can not be converted to an Boolean"),
    ([], "Start of list found where not expected"),
    ({}, "Start of structure or map found where not expected."),
]


@pytest.mark.parametrize(("value", "message"), STRING_CASES)
def test_string_members(value: Any, message: str) -> None:
    assert serialization_message("PutRecord", {"StreamName": value}) == message
    assert serialization_message("PutRecords", {"Records": [{"PartitionKey": value}]}) == message


@pytest.mark.parametrize(("value", "message"), INTEGER_CASES)
def test_integer_members(value: Any, message: str) -> None:
    assert serialization_message("CreateStream", {"ShardCount": value}) == message


@pytest.mark.parametrize(("value", "message"), BLOB_CASES)
def test_blob_members(value: Any, message: str) -> None:
    assert serialization_message("PutRecord", {"Data": value}) == message
    assert serialization_message("PutRecords", {"Records": [{"Data": value}]}) == message


@pytest.mark.parametrize(("value", "message"), LIST_CASES)
def test_list_members(value: Any, message: str) -> None:
    assert serialization_message("PutRecords", {"Records": value}) == message


@pytest.mark.parametrize(("value", "message"), MAP_CASES)
def test_map_members(value: Any, message: str) -> None:
    assert serialization_message("AddTagsToStream", {"Tags": value}) == message


def test_map_values() -> None:
    assert (
        serialization_message("AddTagsToStream", {"Tags": {"a": 5}})
        == f"{NUMBER} can not be converted to an String"
    )


@pytest.mark.parametrize(("value", "message"), STRUCTURE_CASES)
def test_structure_members(value: Any, message: str) -> None:
    assert serialization_message("PutRecords", {"Records": [value]}) == message
    assert serialization_message("CreateStream", {"StreamModeDetails": value}) == message


@pytest.mark.parametrize(("value", "message"), BOOLEAN_CASES)
def test_boolean_members(value: Any, message: str) -> None:
    assert serialization_message("PutRecord", {"DryRun": value}) == message


def test_boolean_members_accept_doubles_and_boolean_strings_like_aws() -> None:
    assert parse("PutRecord", {"DryRun": 0.0}) == {"DryRun": False}
    assert parse("PutRecord", {"DryRun": "TRUE"}) == {"DryRun": True}
    assert parse("PutRecord", {"DryRun": False}) == {"DryRun": False}


@pytest.mark.parametrize(
    "body", [b"hello", b"{", b'{"StreamName": }', b"\xff\xfe\x00", b"NaN", b'{"a": Infinity}']
)
def test_malformed_json_is_a_bare_serialization_exception(body: bytes) -> None:
    assert serialization_message("ListStreams", body) == ""


def test_top_level_must_be_an_object() -> None:
    assert serialization_message("ListStreams", b"[]") == "Start of list found where not expected"
    assert serialization_message("ListStreams", b'"x"') == "Expected null"
    assert serialization_message("ListStreams", b"5") == "Expected null"


def test_empty_and_null_bodies_are_empty_input() -> None:
    assert parse("ListStreams", b"") == {}
    assert parse("ListStreams", b"null") == {}


def test_unknown_and_null_members_are_ignored() -> None:
    assert parse("ListStreams", {"Limit": 5, "Bogus": [1, 2], "ExclusiveStartStreamName": None}) == {
        "Limit": 5
    }


def test_numbers() -> None:
    # Coral truncates numbers to the Java type: fractions drop, out-of-range ints wrap (AWS took a
    # ShardCount of 1e11 without a complaint about it).
    assert parse("CreateStream", {"ShardCount": 3.9}) == {"ShardCount": 3}
    assert parse("CreateStream", {"ShardCount": 100000000000}) == {"ShardCount": 1215752192}
    assert parse("CreateStream", {"ShardCount": -1}) == {"ShardCount": -1}
    records = parse("GetRecords", {"ShardIterator": "x", "Limit": 2})
    assert records == {"ShardIterator": "x", "Limit": 2}


def test_blobs_decode_base64() -> None:
    assert parse("PutRecord", {"Data": "AAH+/w=="}) == {"Data": b"\x00\x01\xfe\xff"}
    assert parse("PutRecord", {"Data": ""}) == {"Data": b""}
    assert parse("PutRecord", {"Data": "YWI="}) == {"Data": b"ab"}


def test_timestamps_as_numbers_or_iso8601() -> None:
    def ts(value: Any) -> Any:
        return parse("GetShardIterator", {"Timestamp": value})["Timestamp"]

    assert ts(1700000000) == 1700000000.0 and type(ts(1700000000)) is float
    assert ts(1700000000.25) == 1700000000.25
    assert ts("1700000000.5") == 1700000000.5
    assert ts("2023-11-14T22:13:20.5Z") == 1700000000.5
    assert ts("2023-11-14T22:13:20") == 1700000000.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "'yesterday' can not be converted to an Date"),
        (True, "class java.lang.Boolean can not be converted to an Date"),
        ([], "Start of list found where not expected"),
    ],
)
def test_bad_timestamps(value: Any, message: str) -> None:
    assert serialization_message("GetShardIterator", {"Timestamp": value}) == message


def test_response_types() -> None:
    op = operation_model("kinesis", "GetRecords")
    naive = dt.datetime(2023, 11, 14, 22, 13, 20, 500000)  # naive datetimes are UTC
    result = {
        "Records": [
            {
                "SequenceNumber": "1",
                "Data": b"\x00\xff",
                "PartitionKey": "k",
                "ApproximateArrivalTimestamp": naive,
            }
        ],
        "MillisBehindLatest": 0,
        "NextShardIterator": None,
    }
    body = json.loads(json_codec.serialize_response(op, result))
    assert body == {
        "Records": [
            {
                "SequenceNumber": "1",
                "Data": "AP8=",
                "PartitionKey": "k",
                "ApproximateArrivalTimestamp": 1700000000.5,
            }
        ],
        "MillisBehindLatest": 0,
    }


def test_errors_and_content_type() -> None:
    assert json.loads(json_codec.serialize_error("ResourceNotFoundException", "Stream x not found.")) == {
        "__type": "ResourceNotFoundException",
        "message": "Stream x not found.",
    }
    # AWS capitalises Message for SerializationException and omits it when empty (kinesalite).
    assert json.loads(json_codec.serialize_error("SerializationException", "bad")) == {
        "__type": "SerializationException",
        "Message": "bad",
    }
    assert json.loads(json_codec.serialize_error("SerializationException", "")) == {
        "__type": "SerializationException"
    }
    assert json_codec.CONTENT_TYPE == "application/x-amz-json-1.1"
    assert json_codec.content_type(operation_model("kinesis", "PutRecord")) == "application/x-amz-json-1.1"
    assert json_codec.content_type(operation_model("sqs", "SendMessage")) == "application/x-amz-json-1.0"


def test_generic_over_other_json_services() -> None:
    op = operation_model("firehose", "PutRecordBatch")
    body = json.dumps({"DeliveryStreamName": "d", "Records": [{"Data": "aGk="}]}).encode()
    assert json_codec.parse_request(op, body) == {"DeliveryStreamName": "d", "Records": [{"Data": b"hi"}]}
    sqs = operation_model("sqs", "SendMessage")
    body = json.dumps({"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": 5}).encode()
    assert json_codec.parse_request(sqs, body) == {"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": 5}


def test_recursive_shapes() -> None:
    # DynamoDB's AttributeValue nests itself through M and L: plans must compile without looping.
    item = {"a": {"M": {"b": {"L": [{"S": "x"}, {"B": "AAE="}, {"M": {"c": {"N": "1"}}}]}}}}
    put = operation_model("dynamodb", "PutItem")
    parsed = json_codec.parse_request(put, json.dumps({"TableName": "table", "Item": item}).encode())
    assert parsed["Item"] == {
        "a": {"M": {"b": {"L": [{"S": "x"}, {"B": b"\x00\x01"}, {"M": {"c": {"N": "1"}}}]}}}
    }
    validate(put.input_shape, parsed)
    get = operation_model("dynamodb", "GetItem")
    assert json.loads(json_codec.serialize_response(get, {"Item": parsed["Item"]})) == {"Item": item}
    with pytest.raises(AwsError) as caught:
        json_codec.parse_request(put, json.dumps({"Item": {"a": {"M": {"b": {"L": [{"B": 5}]}}}}}).encode())
    assert caught.value.message == f"{NUMBER} can not be converted to a Blob"


def test_nan_is_a_serialization_error() -> None:
    assert serialization_message("CreateStream", b'{"StreamName": NaN}') == ""  # AWS's text is empty


def test_a_lone_surrogate_is_read_and_written_back_escaped() -> None:
    """AWS's parsers read an unpaired escape as the character it names; the fast paths' writer
    escapes it as the generic codec does (no UTF-8 carries it)."""
    assert parse("CreateStream", b'{"StreamName": "a\\ud800"}')["StreamName"] == "a\ud800"
    assert json_codec.dumps({"a": "\ud800\u00e9"}) == b'{"a":"\\ud800\\u00e9"}'
    assert json_codec.dumps({"a": "\u00e9"}) == '{"a":"\u00e9"}'.encode()


def test_surrogate_pairs_are_one_character() -> None:
    assert parse("CreateStream", b'{"StreamName": "\\ud83d\\ude00"}')["StreamName"] == "\U0001f600"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": [1, -0.0, 0.1, 1e-7, 18446744073709551615, "\\u00e9\\ud83d\\ude00", null, true]}',
        b'{"a": "\\ud800"}',  # orjson refuses a lone surrogate: read by `json`
        b'{"a": NaN}',
        b"\xef\xbb\xbf{}",
        b'{"a": 1, "a": 2}',
    ],
)
def test_loads_checked_reads_what_loads_reads(body: bytes) -> None:
    def outcome(read: Any) -> Any:
        try:
            return repr(read(body))
        except ValueError as exc:
            return type(exc)

    assert outcome(json_codec.loads_checked) == outcome(json_codec.loads)


def test_dumps_writes_what_json_writes() -> None:
    plain = {"a": [1, 2**64 - 1, "\u00e9\u2028</", None, True], "b": {"c": ""}}
    for value in (plain, {**plain, "d": 2**70}):  # orjson refuses the huge integer: `json` writes it
        assert (
            json_codec.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        )
