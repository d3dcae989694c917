"""The PutRecord/PutRecordBatch fast path gives the generic codec's parameters and errors."""

from __future__ import annotations

import base64
import json

import pytest

from headwater.protocol import request_checks
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.services.firehose import batches
from headwater.services.firehose.fast import (
    encode_batch_result,
    encode_ids,
    parse_put_record,
    parse_put_record_batch,
)


def generic(operation: str, body: bytes) -> dict:
    return request_checks.parse_json(operation_model("firehose", operation), body)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


VALID_BATCHES = [
    {"DeliveryStreamName": "s", "Records": [{"Data": b64(b"a")}, {"Data": b64(b"")}]},
    {"DeliveryStreamName": "a.b-c_d", "Records": [{"Data": b64(bytes(range(256)))}] * 500},
    {"Records": [{"Data": b64(b"x" * 1_024_000)}], "DeliveryStreamName": "s"},
]
BAD_BATCHES = [
    b"not json",
    b"[]",
    json.dumps({"DeliveryStreamName": "s", "Records": []}).encode(),
    json.dumps({"DeliveryStreamName": "s", "Records": [{"Data": "!!"}]}).encode(),
    json.dumps({"DeliveryStreamName": "s", "Records": [{"Data": b64(b"x")}] * 501}).encode(),
    json.dumps({"DeliveryStreamName": "s", "Records": [{"Data": b64(b"x" * 1_024_001)}]}).encode(),
    json.dumps({"DeliveryStreamName": "bad name", "Records": [{"Data": b64(b"x")}]}).encode(),
    json.dumps({"DeliveryStreamName": None, "Records": [{"Data": b64(b"x")}]}).encode(),
    json.dumps({"DeliveryStreamName": "s", "Records": [{"Data": 5}]}).encode(),
]


@pytest.mark.parametrize("params", VALID_BATCHES)
def test_batches_parse_as_the_generic_codec(params: dict) -> None:
    body = json.dumps(params).encode()
    assert parse_put_record_batch(body) == generic("PutRecordBatch", body)


@pytest.mark.parametrize("body", BAD_BATCHES)
def test_bad_batches_fail_as_the_generic_codec(body: bytes) -> None:
    with pytest.raises(AwsError) as expected:
        generic("PutRecordBatch", body)
    with pytest.raises(AwsError) as got:
        parse_put_record_batch(body)
    assert (got.value.code, got.value.message) == (expected.value.code, expected.value.message)


def test_put_record() -> None:
    body = json.dumps({"DeliveryStreamName": "s", "Record": {"Data": b64(b"one")}}).encode()
    assert parse_put_record(body) == generic("PutRecord", body)
    bad = json.dumps({"DeliveryStreamName": "s", "Record": {}}).encode()
    with pytest.raises(AwsError) as got:
        parse_put_record(bad)
    assert got.value.code == "ValidationException"


@pytest.mark.parametrize("encrypted", [True, False])
def test_batch_answer_is_the_json_of_the_result(encrypted: bool) -> None:
    base = batches.id_base("firehose-" + "0" * 32, 7)
    result = {
        "FailedPutCount": 0,
        "Encrypted": encrypted,
        "RequestResponses": [{"RecordId": batches.record_id(base, i)} for i in range(3)],
    }
    assert json.loads(encode_batch_result(result)) == result


def test_entry_format_round_trips() -> None:
    datas = [b"", b"a", bytes(range(256)) * 10]
    assert batches.decode(batches.encode(datas)) == datas


@pytest.mark.parametrize("count", [1, 2, 500])
@pytest.mark.parametrize("encrypted", [False, True])
def test_answer_from_the_id_base_is_the_full_answer(count: int, encrypted: bool) -> None:
    base = batches.id_base("0123456789abcdef01234567", 42)
    result = {
        "FailedPutCount": 0,
        "Encrypted": encrypted,
        "RequestResponses": [{"RecordId": i} for i in batches.record_ids(base, count)],
    }
    assert encode_ids(base, count, encrypted) == encode_batch_result(result)
