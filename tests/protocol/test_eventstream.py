"""The event-stream encoder, checked against botocore's decoder and its SubscribeToShard parser."""

from __future__ import annotations

import base64
import json
import random
import struct
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer, EventStreamMessage
from botocore.exceptions import EventStreamError
from botocore.parsers import ResponseParserError, create_parser

from headwater.protocol.eventstream import (
    CONTENT_TYPE,
    MAX_PAYLOAD_LENGTH,
    Byte,
    Long,
    Short,
    Timestamp,
    encode_headers,
    encode_message,
    error_frame,
    event_frame,
    exception_frame,
)
from headwater.protocol.models import operation_model

JSON = "application/x-amz-json-1.1"


def decode_all(data: bytes, chunk_sizes: Iterator[int] | None = None) -> list[EventStreamMessage]:
    """Feed `data` to botocore's streaming decoder in chunks, collecting every message."""
    buf = EventStreamBuffer()
    out: list[EventStreamMessage] = []
    pos = 0
    while pos < len(data):
        step = next(chunk_sizes) if chunk_sizes else len(data)
        buf.add_data(data[pos : pos + step])
        pos += step
        out.extend(buf)
    return out


def decode_one(data: bytes) -> EventStreamMessage:
    messages = decode_all(data)
    assert len(messages) == 1
    return messages[0]


def test_empty_message_matches_the_published_vector() -> None:
    # The "empty message" vector of the AWS event-stream spec: lengths 16/0, then the two CRCs.
    assert encode_message([], b"").hex() == "000000100000000005c248eb7d98c8ff"


def test_every_header_type_round_trips() -> None:
    u = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    headers = [
        ("true", True),
        ("false", False),
        ("byte", Byte(-128)),
        ("short", Short(32767)),
        ("int", -(2**31)),
        ("long", Long(2**63 - 1)),
        ("bytes", b"\x00\xffraw"),
        ("string", "héllo €"),
        ("timestamp", Timestamp(1_700_000_000_123)),
        ("uuid", u),
    ]
    msg = decode_one(encode_message(headers, b"payload"))
    assert msg.headers == {
        "true": True,
        "false": False,
        "byte": -128,
        "short": 32767,
        "int": -(2**31),
        "long": 2**63 - 1,
        "bytes": b"\x00\xffraw",
        "string": "héllo €",
        "timestamp": 1_700_000_000_123,
        "uuid": u.bytes,
    }
    assert msg.payload == b"payload"


def test_wire_layout_and_crcs() -> None:
    data = encode_message([("a", "b")], b"xyz")
    total, headers_len, prelude_crc = struct.unpack(">III", data[:12])
    header_block = b"\x01a\x07\x00\x01b"
    assert (total, headers_len) == (len(data), len(header_block))
    assert prelude_crc == zlib.crc32(data[:8])
    assert data[12 : 12 + headers_len] == header_block
    assert data[12 + headers_len : -4] == b"xyz"
    assert struct.unpack(">I", data[-4:])[0] == zlib.crc32(data[:-4])
    msg = decode_one(data)
    assert msg.crc == zlib.crc32(data[:-4])
    assert msg.prelude.crc == prelude_crc


@pytest.mark.parametrize("size", [0, 1, 2, 3, 15, 16, 17, 255, 256, 4095, 65535, 65536, 1 << 20])
def test_payload_sizes_round_trip(size: int) -> None:
    rng = random.Random(size)
    payload = rng.randbytes(size)
    msg = decode_one(event_frame("SubscribeToShardEvent", payload, JSON))
    assert msg.payload == payload
    assert msg.prelude.payload_length == size


def test_a_stream_of_frames_decodes_from_arbitrary_chunks() -> None:
    rng = random.Random(7)
    payloads = [rng.randbytes(rng.choice([0, 1, 10, 300, 5000])) for _ in range(60)]
    stream = b"".join(event_frame(f"E{i % 3}", p, JSON) for i, p in enumerate(payloads))
    chunks = iter(lambda: rng.choice([1, 2, 7, 64, 1000]), None)
    messages = decode_all(stream, chunks)
    assert [m.payload for m in messages] == payloads
    assert [m.headers[":event-type"] for m in messages] == [f"E{i % 3}" for i in range(60)]


@pytest.mark.parametrize("offset", [0, 5, 9, 14, 20, -1])
def test_a_flipped_byte_fails_botocore_checksums(offset: int) -> None:
    data = bytearray(event_frame("initial-response", b"{}", JSON))
    data[offset] ^= 0x01
    with pytest.raises(ChecksumMismatch):
        decode_all(bytes(data))


def test_frame_builders_set_the_protocol_headers() -> None:
    ev = decode_one(event_frame("SubscribeToShardEvent", b"{}", JSON))
    assert ev.headers == {
        ":message-type": "event",
        ":event-type": "SubscribeToShardEvent",
        ":content-type": JSON,
    }
    ex = decode_one(exception_frame("ResourceNotFoundException", b'{"message":"gone"}', JSON))
    assert ex.headers == {
        ":message-type": "exception",
        ":exception-type": "ResourceNotFoundException",
        ":content-type": JSON,
    }
    assert ex.payload == b'{"message":"gone"}'
    err = decode_one(error_frame("InternalFailure", "boom"))
    assert err.headers == {
        ":message-type": "error",
        ":error-code": "InternalFailure",
        ":error-message": "boom",
    }
    assert err.payload == b""
    assert err.to_response_dict()["status_code"] == 400


def test_cached_header_blocks_stay_correct_across_event_types() -> None:
    first = event_frame("A", b"1", JSON)
    event_frame("B", b"2", "application/x-amz-cbor-1.1")
    assert event_frame("A", b"1", JSON) == first
    assert decode_one(event_frame("B", b"2", "application/x-amz-cbor-1.1")).headers[":event-type"] == "B"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ([("b", Byte(128))], ValueError),
        ([("s", Short(-32769))], ValueError),
        ([("i", 2**31)], ValueError),
        ([("l", Long(2**63))], ValueError),
        ([("x" * 256, "v")], ValueError),
        ([("", "v")], ValueError),
        ([("s", "x" * 65536)], ValueError),
        ([("f", 1.5)], TypeError),
    ],
)
def test_invalid_headers_are_refused(headers: list, error: type[Exception]) -> None:
    with pytest.raises(error):
        encode_headers(headers)


def test_limits() -> None:
    encode_headers([("s", "x" * 65535)])  # the largest string value fits
    with pytest.raises(ValueError):
        encode_headers([(f"h{i}", "x" * 60000) for i in range(3)])  # over 128 KiB of headers
    with pytest.raises(ValueError):
        encode_message([], b"\x00" * (MAX_PAYLOAD_LENGTH + 1))


# --- SubscribeToShard end to end -------------------------------------------------------------


class FakeRaw:
    """Stands in for urllib3's response: botocore's EventStream only calls .stream() and .close()."""

    def __init__(self, body: bytes, chunk: int) -> None:
        self._body = body
        self._chunk = chunk
        self.closed = False

    def stream(self, *args: object, **kwargs: object) -> Iterator[bytes]:
        for i in range(0, len(self._body), self._chunk):
            yield self._body[i : i + self._chunk]

    def close(self) -> None:
        self.closed = True


ARRIVAL = 1_700_000_000.25


def shard_event(records: list[bytes], continuation: str, behind: int) -> bytes:
    body = {
        "Records": [
            {
                "Data": base64.b64encode(data).decode(),
                "PartitionKey": f"pk-{i}",
                "SequenceNumber": f"4959{i:020d}",
                "ApproximateArrivalTimestamp": ARRIVAL,
            }
            for i, data in enumerate(records)
        ],
        "ContinuationSequenceNumber": continuation,
        "MillisBehindLatest": behind,
    }
    return event_frame("SubscribeToShardEvent", json.dumps(body).encode(), JSON)


def subscribe_body(*frames: bytes) -> bytes:
    return event_frame("initial-response", b"{}", JSON) + b"".join(frames)


def parse_subscribe(body: bytes, chunk: int) -> dict:
    op = operation_model("kinesis", "SubscribeToShard")
    response = {
        "status_code": 200,
        "headers": {"content-type": CONTENT_TYPE},
        "body": FakeRaw(body, chunk),
        "context": {"operation_name": op.name},
    }
    return create_parser("json").parse(response, op.output_shape)


@pytest.mark.parametrize("chunk", [1, 13, 4096])
def test_botocore_parses_a_subscribe_to_shard_body(chunk: int) -> None:
    body = subscribe_body(
        shard_event([b"hello", b"\x00\xff binary"], "49590000000000000000000000001", 0),
        shard_event([], "49590000000000000000000000002", 1234),
    )
    parsed = parse_subscribe(body, chunk)
    events = list(parsed["EventStream"])
    assert len(events) == 2
    first = events[0]["SubscribeToShardEvent"]
    assert [r["Data"] for r in first["Records"]] == [b"hello", b"\x00\xff binary"]
    assert first["Records"][0]["PartitionKey"] == "pk-0"
    assert first["Records"][1]["SequenceNumber"] == f"4959{1:020d}"
    assert first["Records"][0]["ApproximateArrivalTimestamp"] == datetime.fromtimestamp(ARRIVAL, UTC)
    assert first["ContinuationSequenceNumber"] == "49590000000000000000000000001"
    assert first["MillisBehindLatest"] == 0
    second = events[1]["SubscribeToShardEvent"]
    assert second["Records"] == []
    assert second["MillisBehindLatest"] == 1234


def test_botocore_raises_modelled_exception_events() -> None:
    body = subscribe_body(
        shard_event([b"a"], "1", 0),
        exception_frame("ResourceNotFoundException", b'{"message":"Stream s not found"}', JSON),
    )
    stream = iter(parse_subscribe(body, 64)["EventStream"])
    assert next(stream)["SubscribeToShardEvent"]["Records"][0]["Data"] == b"a"
    with pytest.raises(EventStreamError) as caught:
        next(stream)
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Stream s not found",
    }


def test_botocore_raises_unmodelled_error_events() -> None:
    stream = iter(parse_subscribe(subscribe_body(error_frame("InternalFailure", "boom")), 64)["EventStream"])
    with pytest.raises(EventStreamError) as caught:
        next(stream)
    assert caught.value.response["Error"] == {"Code": "InternalFailure", "Message": "boom"}


def test_botocore_refuses_a_stream_without_initial_response() -> None:
    with pytest.raises(ResponseParserError):
        parse_subscribe(shard_event([], "1", 0), 64)


def test_a_boto3_client_sees_the_events() -> None:
    """The whole client path (serialize, sign, parse) with the HTTP send short-circuited."""
    body = subscribe_body(shard_event([b"one"], "7", 5), shard_event([b"two", b"three"], "9", 0))
    raws: list[FakeRaw] = []

    def send(request: object, **kwargs: object) -> AWSResponse:
        raws.append(FakeRaw(body, 100))
        return AWSResponse("http://localhost:4566/", 200, {"content-type": CONTENT_TYPE}, raws[-1])

    client = boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    client.meta.events.register("before-send.kinesis.SubscribeToShard", send)
    response = client.subscribe_to_shard(
        ConsumerARN="arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700000000",
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )
    stream = response["EventStream"]
    data = [r["Data"] for e in stream for r in e["SubscribeToShardEvent"]["Records"]]
    assert data == [b"one", b"two", b"three"]
    stream.close()
    assert raws[0].closed
