"""Kinesis in AWS CBOR 1.1, byte for byte as the Java SDK v1/v2 and the KPL send it.

Blobs are CBOR byte strings; timestamps are tag 1 over integer epoch *milliseconds* (the Java SDK's
``SdkCborGenerator``), in both directions. Errors are a CBOR map with ``__type`` and ``message``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import cbor2
import httpx
import pytest
from botocore.eventstream import EventStreamBuffer

from tests.e2e.support.wire import h2c_client, signed_headers

CBOR = "application/x-amz-cbor-1.1"
SHARD = "shardId-000000000000"


def _keep_tag1(value: Any, *_: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(1, value)  # cbor2 would read tag 1 as RFC 8949 seconds and fail on millis


def decode(payload: bytes) -> Any:
    return cbor2.loads(payload, semantic_decoders={1: _keep_tag1})


def millis(seconds: float) -> cbor2.CBORTag:
    return cbor2.CBORTag(1, int(seconds * 1000))


def call(client: httpx.Client, endpoint: str, operation: str, params: dict[str, Any]) -> httpx.Response:
    body = cbor2.dumps(params)
    return client.post(endpoint, content=body, headers=signed_headers(endpoint, operation, body, CBOR))


def ok(client: httpx.Client, endpoint: str, operation: str, params: dict[str, Any]) -> Any:
    response = call(client, endpoint, operation, params)
    assert response.status_code == 200, decode(response.content) if response.content else response
    assert response.headers["content-type"] == CBOR
    return decode(response.content) if response.content else None


def assert_tag1_millis(value: Any, near: float) -> None:
    assert isinstance(value, cbor2.CBORTag)
    assert value.tag == 1
    assert type(value.value) is int
    assert abs(value.value / 1000 - near) < 120


@pytest.fixture
def http(endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def test_stream_lifecycle_and_summary_timestamp(http: httpx.Client, endpoint: str) -> None:
    before = time.time()
    assert ok(http, endpoint, "CreateStream", {"StreamName": "c", "ShardCount": 2}) is None
    summary = ok(http, endpoint, "DescribeStreamSummary", {"StreamName": "c"})["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 2
    assert summary["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/c"
    assert_tag1_millis(summary["StreamCreationTimestamp"], before)
    shards = ok(http, endpoint, "ListShards", {"StreamName": "c"})["Shards"]
    assert [s["ShardId"] for s in shards] == [SHARD, "shardId-000000000001"]
    assert ok(http, endpoint, "ListStreams", {})["StreamNames"] == ["c"]
    ok(http, endpoint, "DeleteStream", {"StreamName": "c"})
    assert ok(http, endpoint, "ListStreams", {})["StreamNames"] == []


def test_put_and_get_records_with_binary_data(http: httpx.Client, endpoint: str) -> None:
    ok(http, endpoint, "CreateStream", {"StreamName": "c", "ShardCount": 1})
    payloads = [bytes(range(256)), b"", b"\x00", "h\u00e9".encode()]
    put = ok(http, endpoint, "PutRecord", {"StreamName": "c", "Data": payloads[0], "PartitionKey": "k"})
    assert put["ShardId"] == SHARD
    batch = ok(
        http,
        endpoint,
        "PutRecords",
        {
            "StreamName": "c",
            "Records": [{"Data": p, "PartitionKey": f"k{i}"} for i, p in enumerate(payloads[1:])],
        },
    )
    assert batch["FailedRecordCount"] == 0
    sequence_numbers = [put["SequenceNumber"]] + [r["SequenceNumber"] for r in batch["Records"]]
    iterator = ok(
        http,
        endpoint,
        "GetShardIterator",
        {"StreamName": "c", "ShardId": SHARD, "ShardIteratorType": "TRIM_HORIZON"},
    )["ShardIterator"]
    got = ok(http, endpoint, "GetRecords", {"ShardIterator": iterator, "Limit": 10})
    records = got["Records"]
    assert [r["Data"] for r in records] == payloads
    assert all(type(r["Data"]) is bytes for r in records)
    assert [r["SequenceNumber"] for r in records] == sequence_numbers
    for record in records:
        assert_tag1_millis(record["ApproximateArrivalTimestamp"], time.time())
    assert got["MillisBehindLatest"] == 0
    assert ok(http, endpoint, "GetRecords", {"ShardIterator": got["NextShardIterator"]})["Records"] == []


def test_at_timestamp_iterator_takes_tag1_millis(http: httpx.Client, endpoint: str) -> None:
    ok(http, endpoint, "CreateStream", {"StreamName": "c", "ShardCount": 1})
    ok(http, endpoint, "PutRecord", {"StreamName": "c", "Data": b"old", "PartitionKey": "k"})
    first = ok(http, endpoint, "GetRecords", {"ShardIterator": _iterator(http, endpoint, "TRIM_HORIZON")})
    arrived = first["Records"][0]["ApproximateArrivalTimestamp"].value
    time.sleep(0.005)  # arrival times have millisecond resolution: make the cut fall strictly between
    ok(http, endpoint, "PutRecord", {"StreamName": "c", "Data": b"new", "PartitionKey": "k"})
    cut = cbor2.CBORTag(1, arrived + 1)
    iterator = _iterator(http, endpoint, "AT_TIMESTAMP", Timestamp=cut)
    assert [r["Data"] for r in ok(http, endpoint, "GetRecords", {"ShardIterator": iterator})["Records"]] == [
        b"new"
    ]
    # at the first record's own arrival millisecond, both records are read
    iterator = _iterator(http, endpoint, "AT_TIMESTAMP", Timestamp=cbor2.CBORTag(1, arrived))
    assert [r["Data"] for r in ok(http, endpoint, "GetRecords", {"ShardIterator": iterator})["Records"]] == [
        b"old",
        b"new",
    ]
    # a timestamp in the future is refused, as AWS does, and the message shows it was read as millis
    future = millis(time.time() + 3600)
    params = {"StreamName": "c", "ShardId": SHARD, "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": future}
    response = call(http, endpoint, "GetShardIterator", params)
    assert response.status_code == 400
    error = decode(response.content)
    assert error["__type"] == "InvalidArgumentException"
    assert f"timestampInMillis: {future.value}," in error["message"]


def _iterator(http: httpx.Client, endpoint: str, kind: str, **extra: Any) -> str:
    params = {"StreamName": "c", "ShardId": SHARD, "ShardIteratorType": kind, **extra}
    return ok(http, endpoint, "GetShardIterator", params)["ShardIterator"]


def test_errors_are_cbor_maps(http: httpx.Client, endpoint: str) -> None:
    response = call(http, endpoint, "DescribeStreamSummary", {"StreamName": "missing"})
    assert response.status_code == 400
    assert response.headers["content-type"] == CBOR
    assert response.headers["x-amzn-requestid"]
    assert decode(response.content) == {
        "__type": "ResourceNotFoundException",
        "message": "Stream missing under account 000000000000 not found.",
    }
    invalid = decode(call(http, endpoint, "CreateStream", {"StreamName": "x" * 129, "ShardCount": 1}).content)
    assert invalid["__type"] == "ValidationException"
    assert "Member must have length less than or equal to 128" in invalid["message"]
    # a text string where a blob belongs: the Java SDK never sends one, AWS refuses it
    wrong = call(http, endpoint, "PutRecord", {"StreamName": "c", "Data": "text", "PartitionKey": "k"})
    assert wrong.status_code == 400
    assert decode(wrong.content) == {
        "__type": "SerializationException",
        "Message": "class java.lang.String can not be converted to a Blob",
    }
    for garbage in (b"\xff", b"\xbf", cbor2.dumps([1, 2])):
        body = garbage
        bad = http.post(endpoint, content=body, headers=signed_headers(endpoint, "ListStreams", body, CBOR))
        assert bad.status_code == 400
        assert decode(bad.content)["__type"] == "SerializationException"
    unknown = call(http, endpoint, "NoSuchOperation", {})
    assert unknown.status_code == 400
    assert decode(unknown.content) == {"__type": "UnknownOperationException"}


def test_java_sdk_encodings_are_accepted(http: httpx.Client, endpoint: str) -> None:
    """Indefinite-length containers and byte strings, 64-bit millis: what Jackson's CBOR generator emits."""
    ok(http, endpoint, "CreateStream", {"StreamName": "c", "ShardCount": 1})
    # {_ "StreamName": "c", "Records": [_ {_ "Data": (_ h'6a', h'76'), "PartitionKey": "k"}]}
    body = (
        b"\xbf" + cbor2.dumps("StreamName") + cbor2.dumps("c")
        + cbor2.dumps("Records") + b"\x9f\xbf"
        + cbor2.dumps("Data") + b"\x5f\x41j\x41v\xff"
        + cbor2.dumps("PartitionKey") + cbor2.dumps("k") + b"\xff\xff\xff"
    )  # fmt: skip
    response = http.post(endpoint, content=body, headers=signed_headers(endpoint, "PutRecords", body, CBOR))
    assert response.status_code == 200, decode(response.content)
    assert decode(response.content)["FailedRecordCount"] == 0
    # Timestamp as tag 1 over a 64-bit integer (0x1b), as Jackson writes a long
    stamp = b"\xc1\x1b" + int((time.time() - 60) * 1000).to_bytes(8, "big")
    params = {"StreamName": "c", "ShardId": SHARD, "ShardIteratorType": "AT_TIMESTAMP"}
    body = b"\xbf" + b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in params.items())
    body += cbor2.dumps("Timestamp") + stamp + b"\xff"
    response = http.post(
        endpoint, content=body, headers=signed_headers(endpoint, "GetShardIterator", body, CBOR)
    )
    assert response.status_code == 200, decode(response.content)
    iterator = decode(response.content)["ShardIterator"]
    assert [r["Data"] for r in ok(http, endpoint, "GetRecords", {"ShardIterator": iterator})["Records"]] == [
        b"jv"
    ]


# --- SubscribeToShard over h2c, CBOR event payloads -------------------------------------------------


def subscribe_cbor(
    client: httpx.Client, endpoint: str, consumer_arn: str, position: dict[str, Any]
) -> Iterator[tuple[dict[str, str], Any]]:
    body = cbor2.dumps({"ConsumerARN": consumer_arn, "ShardId": SHARD, "StartingPosition": position})
    headers = signed_headers(endpoint, "SubscribeToShard", body, CBOR)
    with client.stream("POST", endpoint, content=body, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.http_version == "HTTP/2"
        assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        buffer = EventStreamBuffer()
        for chunk in response.iter_raw():
            buffer.add_data(chunk)
            for message in buffer:
                yield dict(message.headers), decode(message.payload)


def test_subscribe_to_shard_in_cbor_over_h2c(http: httpx.Client, endpoint: str) -> None:
    ok(http, endpoint, "CreateStream", {"StreamName": "c", "ShardCount": 1})
    arn = ok(http, endpoint, "DescribeStreamSummary", {"StreamName": "c"})["StreamDescriptionSummary"][
        "StreamARN"
    ]
    consumer = ok(http, endpoint, "RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "java"})[
        "Consumer"
    ]
    assert_tag1_millis(consumer["ConsumerCreationTimestamp"], time.time())
    ok(http, endpoint, "PutRecord", {"StreamName": "c", "Data": b"\x00before", "PartitionKey": "k"})
    seen: list[tuple[dict[str, str], Any]] = []
    records: list[dict[str, Any]] = []
    done = threading.Event()

    def consume() -> None:
        with h2c_client() as client:
            for headers, payload in subscribe_cbor(
                client, endpoint, consumer["ConsumerARN"], {"Type": "TRIM_HORIZON"}
            ):
                seen.append((headers, payload))
                if headers.get(":event-type") == "SubscribeToShardEvent":
                    records.extend(payload["Records"])
                if len(records) >= 2 or headers.get(":message-type") == "exception":
                    done.set()
                    return

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not records and time.monotonic() < deadline:
        time.sleep(0.01)
    ok(http, endpoint, "PutRecord", {"StreamName": "c", "Data": b"\x01after", "PartitionKey": "k"})
    assert done.wait(10), seen
    first_headers, first_payload = seen[0]
    assert first_headers[":message-type"] == "event"
    assert first_headers[":event-type"] == "initial-response"
    assert first_payload == {}
    for headers, payload in seen[1:]:
        assert headers[":event-type"] == "SubscribeToShardEvent", (headers, payload)
        assert headers[":content-type"] == CBOR
        assert isinstance(payload["ContinuationSequenceNumber"], str)
        assert type(payload["MillisBehindLatest"]) is int
    assert [r["Data"] for r in records] == [b"\x00before", b"\x01after"]
    for record in records:
        assert_tag1_millis(record["ApproximateArrivalTimestamp"], time.time())
        assert record["PartitionKey"] == "k"


def test_subscribe_to_shard_cbor_error_is_a_cbor_map(endpoint: str) -> None:
    arn = "arn:aws:kinesis:us-east-1:000000000000:stream/none/consumer/c:1"
    body = cbor2.dumps({"ConsumerARN": arn, "ShardId": SHARD, "StartingPosition": {"Type": "LATEST"}})
    with h2c_client() as client:
        response = client.post(
            endpoint, content=body, headers=signed_headers(endpoint, "SubscribeToShard", body, CBOR)
        )
    assert response.http_version == "HTTP/2"
    assert response.status_code == 400
    assert decode(response.content)["__type"] == "ResourceNotFoundException"
