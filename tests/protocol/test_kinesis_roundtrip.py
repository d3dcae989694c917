"""Round trips of every Kinesis operation through our codecs and botocore's own client codecs.

Requests: a sample input generated from the model (every member filled, constraints honoured) is
serialized by botocore's client JSON serializer (or encoded as the Java SDK's CBOR), and our
parse_request must give back the same values. Responses: a sample output goes through our
serialize_response and botocore's client JSON parser (or cbor2, checking the wire types).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import cbor2
import pytest
from botocore.model import Shape
from botocore.parsers import EventStreamJSONParser, create_parser
from botocore.serialize import create_serializer

from headwater.protocol import cbor_codec, json_codec
from headwater.protocol.models import operation_model, service_model
from headwater.protocol.validation import validate

OPERATIONS = sorted(service_model("kinesis").operation_names)
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)  # 1700000000.5, exact in floats

# Candidates tried, in order, against every pattern of the model; a new pattern nobody matches fails.
_PATTERN_SAMPLES = (
    "a",
    "0",
    "123456789012",
    "abcdefghij0123456789-abc",
    "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1",
    "arn:aws:kinesis:us-east-1:123456789012:channel/c",
    "arn:aws:kinesis:us-east-1:123456789012:queue/q",
    "arn:aws:glue:us-east-1:123456789012:schema/registry/schema",
    "arn:aws:iam::123456789012:role/r",
    "arn:aws:s3:::bucket",
    "arn:aws:s3tables:us-east-1:123456789012:bucket/bucket",
)


def _clamp(n: int, lo: int | None, hi: int | None) -> int:
    return min(max(n, lo or 0), hi if hi is not None else n)


def sample(shape: Shape, depth: int = 0) -> Any:
    """A valid value of `shape`: every member set, lengths, ranges, patterns and enums honoured."""
    meta, kind = shape.metadata, shape.type_name
    lo, hi = meta.get("min"), meta.get("max")
    if kind == "structure":
        members = {n: m for n, m in shape.members.items() if not m.serialization.get("eventstream")}
        if meta.get("union"):
            members = dict(list(members.items())[:1])
        if depth > 6:
            members = {n: m for n, m in members.items() if n in shape.required_members}
        return {name: sample(member, depth + 1) for name, member in members.items()}
    if kind == "list":
        return [sample(shape.member, depth + 1) for _ in range(_clamp(2, lo, hi))]
    if kind == "map":
        key = sample(shape.key, depth + 1)
        return {key: sample(shape.value, depth + 1)}
    if kind == "string":
        return _sample_string(shape)
    if kind in ("integer", "long"):
        default = 2**40 + 1 if kind == "long" else 3
        return _clamp(default, lo, hi)
    if kind in ("double", "float"):
        return 2.5
    if kind == "boolean":
        return True
    if kind == "blob":
        return (b"\x00\x01\xfe\xffblob" * 4)[: _clamp(8, lo, hi)]
    if kind == "timestamp":
        return WHEN
    raise AssertionError(f"no sample for {kind}")


def _sample_string(shape: Shape) -> str:
    meta = shape.metadata
    lo, hi = meta.get("min", 0), meta.get("max", 64)
    if meta.get("enum"):
        return meta["enum"][-1]
    if "pattern" in meta:
        regex = re.compile(meta["pattern"])
        for candidate in (shape.name, *_PATTERN_SAMPLES):
            if lo <= len(candidate) <= hi and regex.fullmatch(candidate):
                return candidate
        raise AssertionError(f"no sample string for pattern {meta['pattern']!r} ({shape.name})")
    text = f"{shape.name}-value"
    return (text * (lo // len(text) + 1))[: max(lo, min(len(text), hi))]


def normalized(value: Any) -> Any:
    """Our value conventions: timestamps as epoch seconds (float)."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def java_cbor(shape: Shape, value: Any) -> Any:
    """`value` as the AWS Java SDK puts it in CBOR: byte strings, tag 1 over epoch milliseconds."""
    kind = shape.type_name
    if kind == "structure":
        return {
            shape.members[n].serialization.get("name", n): java_cbor(shape.members[n], v)
            for n, v in value.items()
        }
    if kind == "list":
        return [java_cbor(shape.member, v) for v in value]
    if kind == "map":
        return {k: java_cbor(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return cbor2.CBORTag(1, round(value.timestamp() * 1000))
    return value


def _tag1(value: Any, *_: Any) -> tuple[str, str, Any]:
    return ("tag1", type(value).__name__, value)


def cbor_wire_view(shape: Shape, value: Any) -> Any:
    """What our CBOR response must decode to, with tag 1 reported as (tag1, type, value)."""
    kind = shape.type_name
    if kind == "structure":
        return {
            shape.members[n].serialization.get("name", n): cbor_wire_view(shape.members[n], v)
            for n, v in value.items()
            if not shape.members[n].serialization.get("eventstream")
        }
    if kind == "list":
        return [cbor_wire_view(shape.member, v) for v in value]
    if kind == "map":
        return {k: cbor_wire_view(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return ("tag1", "int", round(value.timestamp() * 1000))
    return value


def _input_sample(name: str) -> dict[str, Any]:
    op = operation_model("kinesis", name)
    return sample(op.input_shape) if op.input_shape is not None else {}


def _output_sample(name: str) -> dict[str, Any]:
    op = operation_model("kinesis", name)
    return sample(op.output_shape) if op.output_shape is not None else {}


def _has_event_stream(name: str) -> bool:
    shape = operation_model("kinesis", name).output_shape
    return shape is not None and any(m.serialization.get("eventstream") for m in shape.members.values())


def test_the_model_has_the_expected_operations() -> None:
    assert len(OPERATIONS) > 30
    assert {"PutRecord", "PutRecords", "GetRecords", "SubscribeToShard", "ListShards"} <= set(OPERATIONS)


@pytest.mark.parametrize("name", OPERATIONS)
def test_json_request_from_botocore_client(name: str) -> None:
    op = operation_model("kinesis", name)
    params = _input_sample(name)
    request = create_serializer("json").serialize_to_request(params, op)
    assert request["headers"]["Content-Type"] == json_codec.content_type(op)
    parsed = json_codec.parse_request(op, request["body"])
    assert parsed == normalized(params)
    if op.input_shape is not None:
        validate(op.input_shape, parsed)  # the samples honour every constraint


@pytest.mark.parametrize("name", OPERATIONS)
def test_cbor_request_as_the_java_sdk_sends_it(name: str) -> None:
    op = operation_model("kinesis", name)
    params = _input_sample(name)
    body = cbor2.dumps(java_cbor(op.input_shape, params)) if op.input_shape is not None else b""
    assert cbor_codec.parse_request(op, body) == normalized(params)


@pytest.mark.parametrize("name", [n for n in OPERATIONS if not _has_event_stream(n)])
def test_json_response_read_by_botocore_client(name: str) -> None:
    op = operation_model("kinesis", name)
    result = _output_sample(name)
    body = json_codec.serialize_response(op, {**result, "NotInTheModel": "ignored"})
    if op.output_shape is None:
        assert body == b""
        return
    parsed = create_parser("json").parse({"status_code": 200, "headers": {}, "body": body}, op.output_shape)
    parsed.pop("ResponseMetadata")
    assert normalized(parsed) == normalized(result)


@pytest.mark.parametrize("name", OPERATIONS)
def test_cbor_response_wire_types(name: str) -> None:
    op = operation_model("kinesis", name)
    result = _output_sample(name)
    body = cbor_codec.serialize_response(op, result)
    if op.output_shape is None:
        assert body == b""
        return
    decoded = cbor2.loads(body, semantic_decoders={1: _tag1})
    assert decoded == cbor_wire_view(op.output_shape, result)


def test_timestamps_given_as_epoch_numbers_serialize_like_datetimes() -> None:
    op = operation_model("kinesis", "DescribeStreamSummary")
    result = _output_sample("DescribeStreamSummary")
    as_float = normalized(result)
    assert json_codec.serialize_response(op, as_float) == json_codec.serialize_response(op, result)
    assert cbor_codec.serialize_response(op, as_float) == cbor_codec.serialize_response(op, result)


def test_none_members_are_omitted() -> None:
    op = operation_model("kinesis", "PutRecord")
    body = json_codec.serialize_response(op, {"ShardId": "shardId-000000000000", "SequenceNumber": None})
    assert body == b'{"ShardId":"shardId-000000000000"}'


def _subscribe_event_shapes() -> tuple[Shape, Shape]:
    stream = operation_model("kinesis", "SubscribeToShard").output_shape.members["EventStream"]
    return stream, stream.members["SubscribeToShardEvent"]


def test_subscribe_to_shard_initial_response_and_event_payload() -> None:
    op = operation_model("kinesis", "SubscribeToShard")
    assert json_codec.serialize_response(op, {"EventStream": object()}) == b"{}"
    stream, event = _subscribe_event_shapes()
    value = sample(event)
    payload = json_codec.serialize_shape(event, value)
    response = {"status_code": 200, "headers": {":event-type": "SubscribeToShardEvent"}, "body": payload}
    parsed = EventStreamJSONParser().parse(response, stream)
    assert normalized(parsed) == {"SubscribeToShardEvent": normalized(value)}


def test_subscribe_to_shard_event_payload_in_cbor() -> None:
    _, event = _subscribe_event_shapes()
    value = sample(event)
    decoded = cbor2.loads(cbor_codec.serialize_shape(event, value), semantic_decoders={1: _tag1})
    assert decoded == cbor_wire_view(event, value)
    record = decoded["Records"][0]
    assert type(record["Data"]) is bytes
    assert record["ApproximateArrivalTimestamp"] == ("tag1", "int", 1700000000500)
