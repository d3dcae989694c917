"""MetadataExtraction with jq, buffer keys and the active partition limit, on plain data."""

from __future__ import annotations

import json

from headwater.services.firehose.processing import partitioning
from headwater.services.firehose.records import Record

AT = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def record(rid: str, doc: object, **keys: str) -> Record:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return Record(rid, data, AT, partition_keys=keys)


def test_query_keys() -> None:
    query = '{customer: .customer_id, year: (.ts | strftime("%Y")), n: .n, ok: .ok}'
    done = partitioning.apply(
        [record("1", {"customer_id": "c-1", "ts": 1_700_000_000, "n": 7, "ok": True})],
        {"MetadataExtractionQuery": query, "JsonParsingEngine": "JQ-1.6"},
    )
    assert done.failures == []
    assert dict(done.records[0].partition_keys) == {"customer": "c-1", "year": "2023", "n": "7", "ok": "true"}


def test_query_failures() -> None:
    records = [
        record("text", b"not json"),
        record("missing", {"other": 1}),
        record("object", {"customer_id": {"a": 1}}),
        record("error", {"customer_id": "x", "ts": "not a number"}),
        record("fine", {"customer_id": "x", "ts": 0}),
    ]
    done = partitioning.apply(
        records, {"MetadataExtractionQuery": '{c: .customer_id, y: (.ts | strftime("%Y"))}'}
    )
    assert [r.record_id for r in done.records] == ["fine"]
    assert [(f.record.record_id, f.error_output_type) for f in done.failures] == [
        ("text", "partitioning-failed"),
        ("missing", "partitioning-failed"),
        ("object", "partitioning-failed"),
        ("error", "partitioning-failed"),
    ]
    assert done.failures[0].error_message == "Non JSON record provided"
    assert all(f.error_code == "DynamicPartitioning.MetadataExtractionFailed" for f in done.failures)


def test_check_query() -> None:
    assert partitioning.check_query("{a: .a}") is None
    assert partitioning.check_query("{a: .a") is not None
    assert partitioning.check_query("{a: .a}", "JQ-9") is not None
    assert partitioning.compiled("{a: .a}") is partitioning.compiled("{a: .a}")  # compiled once


def test_lambda_keys_kept_and_merged() -> None:
    done = partitioning.apply(
        [record("1", {"a": "q"}, fromLambda="l")], {"MetadataExtractionQuery": "{a: .a}"}
    )
    assert dict(done.records[0].partition_keys) == {"fromLambda": "l", "a": "q"}


def test_buffer_key_and_route() -> None:
    prefix = "data/!{partitionKeyFromQuery:c}/!{timestamp:yyyy}/!{firehose:random-string}/"
    a1, a2, b = record("1", {}, c="a"), record("2", {}, c="a"), record("3", {}, c="b")
    assert partitioning.buffer_key(prefix, a1, None) == partitioning.buffer_key(prefix, a2, None)
    assert partitioning.buffer_key(prefix, a1, None).startswith("data/a/2023/")
    active = partitioning.ActivePartitions(limit=1)
    groups, failures = partitioning.route([a1, b, a2, record("4", {})], prefix, None, active)
    assert [[r.record_id for r in g] for g in groups.values()] == [["1", "2"]]
    assert [(f.record.record_id, f.error_output_type) for f in failures] == [
        ("3", "activePartitionExceeded"),
        ("4", "partitioning-failed"),
    ]
    assert failures[1].error_code == "DynamicPartitioning.PartitionKeyNotFound"
    active.release(next(iter(groups)))
    assert len(active) == 0 and active.admit("other")


def test_default_limit() -> None:
    active = partitioning.ActivePartitions()
    assert all(active.admit(str(i)) for i in range(500))
    assert not active.admit("500") and active.admit("0")
