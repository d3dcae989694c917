"""Dynamic partitioning end to end: jq keys (partitionKeyFromQuery) and a transform's metadata
(partitionKeyFromLambda) name the S3 prefixes, one object per partition; records the query cannot
key go to the error output."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.firehose.processing_support import objects, processor, put, stream
from tests.e2e.firehose.test_transform import TRANSFORMER
from tests.e2e.functions.support import ensure_role, python_function
from tests.e2e.support.server import Server

PARTITIONED = {
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},  # no zero buffering with partitions
    "DynamicPartitioningConfiguration": {"Enabled": True, "RetryOptions": {"DurationInSeconds": 60}},
}


@pytest.fixture
def setup(client: Callable[..., Any], server: Server) -> tuple[Any, Any, Any, Callable[[], None]]:
    ensure_role(client)
    return client("firehose"), client("s3"), client("lambda"), lambda: server.advance(61)


def test_partition_keys_from_query(setup: tuple[Any, Any, Any, Callable[[], None]]) -> None:
    firehose, s3, _, advance = setup
    query = processor(
        "MetadataExtraction",
        MetadataExtractionQuery="{customer: .customer, kind: .kind}",
        JsonParsingEngine="JQ-1.6",
    )
    stream(
        firehose,
        s3,
        "byquery",
        query,
        processor("AppendDelimiterToRecord"),
        Prefix="data/customer=!{partitionKeyFromQuery:customer}/kind=!{partitionKeyFromQuery:kind}/",
        **PARTITIONED,
    )
    rows = [
        {"customer": "a", "kind": "x", "n": 1},
        {"customer": "b", "kind": "x", "n": 2},
        {"customer": "a", "kind": "x", "n": 3},
        {"customer": "a", "kind": "y", "n": 4},
    ]
    put(firehose, "byquery", [json.dumps(r).encode() for r in rows] + [b"not json", b'{"kind": "x"}'])

    def ready(found: dict[str, bytes]) -> bool:
        return len([k for k in found if k.startswith("data/")]) == 3 and any(
            k.startswith("errors/") for k in found
        )

    found = objects(s3, "byquery-bucket", ready, advance=advance)
    by_partition = {
        key.split("/")[1] + "/" + key.split("/")[2]: body
        for key, body in found.items()
        if key.startswith("data/")
    }
    assert by_partition == {
        "customer=a/kind=x": (json.dumps(rows[0]) + "\n" + json.dumps(rows[2]) + "\n").encode(),
        "customer=b/kind=x": (json.dumps(rows[1]) + "\n").encode(),
        "customer=a/kind=y": (json.dumps(rows[3]) + "\n").encode(),
    }
    errors = [
        json.loads(line) for k, body in found.items() if k.startswith("errors/") for line in body.splitlines()
    ]
    assert sorted(base64.b64decode(e["rawData"]) for e in errors) == [b"not json", b'{"kind": "x"}']
    assert all(k.startswith("errors/partitioning-failed/") for k in found if k.startswith("errors/"))
    assert {e["errorCode"] for e in errors} == {"DynamicPartitioning.MetadataExtractionFailed"}


def test_active_partition_limit(setup: tuple[Any, Any, Any, Callable[[], None]]) -> None:
    firehose, s3, _, advance = setup
    query = processor("MetadataExtraction", MetadataExtractionQuery="{c: .c}", JsonParsingEngine="JQ-1.6")
    stream(firehose, s3, "wide", query, Prefix="c=!{partitionKeyFromQuery:c}/", **PARTITIONED)
    rows = [json.dumps({"c": f"{i:03d}"}).encode() for i in range(501)]
    put(firehose, "wide", rows[:300])
    put(firehose, "wide", rows[300:])

    def ready(found: dict[str, bytes]) -> bool:
        return len([k for k in found if k.startswith("c=")]) == 500 and any(
            k.startswith("errors/") for k in found
        )

    found = objects(s3, "wide-bucket", ready, timeout=60, advance=advance)
    assert sorted(body for key, body in found.items() if key.startswith("c=")) == rows[:500]
    [(key, body)] = [(k, b) for k, b in found.items() if k.startswith("errors/")]
    assert key.startswith("errors/activePartitionExceeded/")
    document = json.loads(body)
    assert base64.b64decode(document["rawData"]) == rows[500]
    assert document["errorCode"] == "DynamicPartitioning.ActivePartitionsLimitExceeded"


def test_partition_keys_from_lambda(setup: tuple[Any, Any, Any, Callable[[], None]]) -> None:
    firehose, s3, lam, advance = setup
    fn = python_function(lam, "keyer", TRANSFORMER, Timeout=10)["FunctionArn"]
    stream(
        firehose,
        s3,
        "bylambda",
        processor("Lambda", LambdaArn=fn, NumberOfRetries=0),
        Prefix="first=!{partitionKeyFromLambda:first}/",
        **PARTITIONED,
    )
    put(firehose, "bylambda", [b"apple", b"banana", b"avocado"])
    found = objects(s3, "bylambda-bucket", lambda f: len(f) == 2, advance=advance)
    by_first = {key.split("/")[0]: body for key, body in found.items()}
    upper = [json.dumps({"upper": t, "stream": "bylambda"}) + "\n" for t in ("APPLE", "BANANA", "AVOCADO")]
    assert by_first == {"first=a": (upper[0] + upper[2]).encode(), "first=b": upper[1].encode()}
