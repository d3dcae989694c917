"""The fast paths accept and refuse exactly what the generic codec does: valid PutRecord,
PutRecords and GetRecords bodies, each member replaced by values of every JSON type (nulls, huge
numbers, long and odd strings, bad base64...), dropped, or the body truncated, give the same answer
both ways. Deterministic (a fixed seed), so a failure names its case."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest

from headwater.services.kinesis import records
from tests.services.kinesis.test_fast import CTX, b64, comparable, fast, generic, make_core, outcome

VALUES: list[Any] = [
    None,
    0,
    -1,
    10**40,
    1.5,
    True,
    "",
    "x",
    "k" * 300,
    "\ud800",
    "é",
    "AAAA",
    "AAA",
    "!!",
    " QQ==",
    [],
    ["x"],
    {},
    {"a": 1},
]


def mutations(document: dict[str, Any], seed: int, count: int) -> list[bytes]:
    """`count` variants of `document`: one member (possibly inside the first Records entry) set
    to one of VALUES or removed, and a few truncated bodies."""
    rng = random.Random(seed)
    paths: list[tuple[str, ...]] = [(k,) for k in document]
    if isinstance(document.get("Records"), list) and document["Records"]:
        paths += [("Records", "0", k) for k in document["Records"][0]]
    bodies = []
    for _ in range(count):
        variant = json.loads(json.dumps(document))
        path = rng.choice(paths + [("Unknown",)])
        target = variant
        for part in path[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        if rng.random() < 0.15:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = rng.choice(VALUES)
        bodies.append(json.dumps(variant).encode())
    whole = json.dumps(document).encode()
    bodies += [whole[:cut] for cut in (1, len(whole) // 2, len(whole) - 1)]
    return bodies


def same(left: Any, right: Any) -> bool:
    if isinstance(left, dict) and isinstance(right, dict) and "MillisBehindLatest" in left:
        return len(left["Records"]) == len(right["Records"])
    return comparable(left) == comparable(right)


@pytest.mark.parametrize(
    ("operation", "document"),
    [
        ("PutRecord", {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": "5"}),
        (
            "PutRecords",
            {
                "StreamName": "s",
                "Records": [{"Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": "5"}],
            },
        ),
    ],
)
def test_put_mutations_agree(operation: str, document: dict[str, Any]) -> None:
    async def run() -> None:
        for body in mutations(document, seed=10, count=150):
            left = await outcome(generic, await make_core(), operation, body)
            right = await outcome(fast, await make_core(), operation, body)
            assert same(left, right), body

    asyncio.run(run())


def test_get_records_mutations_agree() -> None:
    async def run() -> None:
        core = await make_core()
        await fast(
            core,
            "PutRecord",
            json.dumps({"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k"}).encode(),
        )
        shard = "shardId-000000000000"
        for candidate in ("shardId-000000000000", "shardId-000000000001", "shardId-000000000002"):
            iterator = (
                await records.get_shard_iterator(
                    core, {"StreamName": "s", "ShardId": candidate, "ShardIteratorType": "TRIM_HORIZON"}, CTX
                )
            )["ShardIterator"]
            if (await fast(core, "GetRecords", json.dumps({"ShardIterator": iterator}).encode()))["Records"]:
                shard = candidate
                break
        iterator = (
            await records.get_shard_iterator(
                core, {"StreamName": "s", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}, CTX
            )
        )["ShardIterator"]
        for body in mutations({"ShardIterator": iterator, "Limit": 5}, seed=11, count=120):
            left = await outcome(generic, core, "GetRecords", body)
            right = await outcome(fast, core, "GetRecords", body)
            assert same(left, right), body

    asyncio.run(run())
