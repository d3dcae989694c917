"""The hand-tuned PutRecord(s)/GetRecords codecs give the generic codec's answers on the same inputs."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.protocol import json_codec
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model, service_model
from headwater.protocol.validation import java_namespace, validate
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext
from headwater.services.kinesis import records, streams
from headwater.services.kinesis.fast import kinesis_fast_paths
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kms.keyring import LocalKeyRing

CTX = RequestContext(account="000000000000", region="us-east-1", request_id="r")
HANDLERS = {
    "PutRecord": records.put_record,
    "PutRecords": records.put_records,
    "GetRecords": records.get_records,
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def make_core() -> KinesisCore:
    config = Config(limits=False, transition_delay=0, data_dir=Path("unused"))
    engine, clock = MemoryEngine(), SystemClock()
    core = KinesisCore(config, engine, clock, Metrics(), LocalKeyRing(engine.meta, clock))
    await core.start()
    await streams.create_stream(core, {"StreamName": "s", "ShardCount": 3}, CTX)
    return core


async def generic(core: KinesisCore, operation: str, body: bytes) -> dict[str, Any]:
    op = operation_model("kinesis", operation)
    params = json_codec.parse_request(op, body)
    validate(op.input_shape, params, namespace=java_namespace(service_model("kinesis")))
    return json.loads(json_codec.serialize_response(op, await HANDLERS[operation](core, params, CTX)))


async def fast(core: KinesisCore, operation: str, body: bytes) -> dict[str, Any]:
    return json.loads(await kinesis_fast_paths(core)[("kinesis", operation)](body, CTX))


async def outcome(call, core: KinesisCore, operation: str, body: bytes) -> Any:  # noqa: ANN001
    try:
        return await call(core, operation, body)
    except AwsError as error:
        return ("error", error.code, error.message)


def comparable(result: Any) -> Any:
    """Sequence numbers carry arrival seconds; compare shard and order instead."""
    if isinstance(result, dict) and "Records" in result:
        return {
            "FailedRecordCount": result.get("FailedRecordCount"),
            "Records": [
                (r.get("ShardId"), r.get("ErrorCode"), "SequenceNumber" in r) for r in result["Records"]
            ],
        }
    if isinstance(result, dict):
        return {k: v for k, v in result.items() if k != "SequenceNumber"}
    return result


PUTS = [
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x" * 10), "PartitionKey": "k", "ExplicitHashKey": "0"}),
    ("PutRecord", {"StreamName": "s", "Data": "!!!", "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": "s", "Data": 5, "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": ""}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x")}),
    ("PutRecord", {"StreamName": "nope", "Data": b64(b"x"), "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": "-1"}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x" * (1024 * 1024 + 1)), "PartitionKey": "k"}),
    (
        "PutRecords",
        {
            "StreamName": "s",
            "Records": [{"Data": b64(b"%d" % i), "PartitionKey": f"k{i}"} for i in range(50)],
        },
    ),
    ("PutRecords", {"StreamName": "s", "Records": []}),
    ("PutRecords", {"StreamName": "s", "Records": [{"Data": b64(b"a"), "PartitionKey": "k" * 257}]}),
    ("PutRecords", {"StreamName": "s", "Records": [{"Data": "@@", "PartitionKey": "k"}]}),
    ("PutRecords", {"StreamName": "s", "Records": "nope"}),
    ("PutRecords", {"StreamName": "s", "Records": [{"Data": b64(b"a")}]}),
    # nulls: a required member's is "must not be null", an optional one's is absent (issue 10)
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": None}),
    ("PutRecord", {"StreamName": "s", "Data": None, "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": None, "Data": b64(b"x"), "PartitionKey": "k"}),
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": None}),
    (
        "PutRecord",
        {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "SequenceNumberForOrdering": None},
    ),
    ("PutRecords", {"StreamName": "s", "Records": None}),
    ("PutRecords", {"StreamName": "s", "Records": [None]}),
    ("PutRecords", {"StreamName": "s", "Records": [{"Data": b64(b"a"), "PartitionKey": None}]}),
    (
        "PutRecords",
        {"StreamName": "s", "Records": [{"Data": b64(b"a"), "PartitionKey": "k", "ExplicitHashKey": None}]},
    ),
    # the record limit counts the partition key too
    ("PutRecord", {"StreamName": "s", "Data": b64(b"x" * (1024 * 1024 - 1)), "PartitionKey": "kk"}),
    (
        "PutRecords",
        {"StreamName": "s", "Records": [{"Data": b64(b"x" * (1024 * 1024)), "PartitionKey": "k"}]},
    ),
]


@pytest.mark.parametrize(("operation", "params"), PUTS)
def test_puts_agree(operation: str, params: dict[str, Any]) -> None:
    async def run() -> None:
        body = json.dumps(params).encode()
        left = await outcome(generic, await make_core(), operation, body)
        right = await outcome(fast, await make_core(), operation, body)
        assert comparable(left) == comparable(right)

    asyncio.run(run())


def test_get_records_agree() -> None:
    async def run() -> None:
        core = await make_core()
        entries = [{"Data": b64(bytes([i]) * i), "PartitionKey": f"k{i}"} for i in range(1, 200)]
        await fast(core, "PutRecords", json.dumps({"StreamName": "s", "Records": entries}).encode())
        for shard in ("shardId-000000000000", "shardId-000000000002"):
            iterator = (
                await records.get_shard_iterator(
                    core, {"StreamName": "s", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}, CTX
                )
            )["ShardIterator"]
            for limit in (1, 7, 10000):
                body = json.dumps({"ShardIterator": iterator, "Limit": limit}).encode()
                left = await outcome(generic, core, "GetRecords", body)
                right = await outcome(fast, core, "GetRecords", body)
                for result in (left, right):
                    result.pop("NextShardIterator")
                # measured against the clock a moment apart
                assert abs(left.pop("MillisBehindLatest") - right.pop("MillisBehindLatest")) < 1000
                assert left == right
                assert left["Records"]
            nulls = json.dumps({"ShardIterator": iterator, "Limit": None, "StreamARN": None}).encode()
            left, right = (
                await outcome(generic, core, "GetRecords", nulls),
                await outcome(fast, core, "GetRecords", nulls),
            )
            assert len(left["Records"]) == len(right["Records"]) > 0
        for body in (
            b'{"ShardIterator": 5}',
            b'{"ShardIterator": "bad"}',
            b"{",
            b'{"ShardIterator": "x", "Limit": 0}',
            b'{"ShardIterator": null}',
            b'{"ShardIterator": "bad", "Limit": null}',
            b'{"ShardIterator": "bad", "StreamARN": null}',
        ):
            assert await outcome(generic, core, "GetRecords", body) == await outcome(
                fast, core, "GetRecords", body
            )

    asyncio.run(run())
