"""Kinesis event-source mappings end to end: the API, events, order, failures, filters, resume."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import drain, ensure_role, recorder, wait_state
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server


def stream(kinesis: Any, name: str, shards: int = 1) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def put(kinesis: Any, name: str, texts: list[str], key: str | None = None) -> list[str]:
    numbers = []
    for i, text in enumerate(texts):
        answer = kinesis.put_record(StreamName=name, Data=text.encode(), PartitionKey=key or f"k{i}")
        numbers.append(answer["SequenceNumber"])
    return numbers


def records(seen: list[dict[str, Any]], ok: bool | None = True) -> list[dict[str, Any]]:
    return [r for s in seen if ok is None or s["ok"] == ok for r in s["event"]["Records"]]


def texts(seen: list[dict[str, Any]], ok: bool | None = True) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in records(seen, ok)]


def test_api_defaults_validation_and_states(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "api")
    recorder(lam, sqs, "fn-api", role)
    with pytest.raises(ClientError) as missing:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-api")
    assert missing.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "startingPosition" in missing.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as sqs_only:
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="fn-api",
            StartingPosition="LATEST",
            ScalingConfig={"MaximumConcurrency": 2},
        )
    assert sqs_only.value.response["Error"]["Message"] == (
        "Unsupported ScalingConfig parameter for given event source mapping type."
    )
    with pytest.raises(ClientError) as bad_filter:
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="fn-api",
            StartingPosition="LATEST",
            FilterCriteria={"Filters": [{"Pattern": '{"data": "x"}'}]},
        )
    assert bad_filter.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-api", StartingPosition="LATEST"
    )
    assert created["State"] == "Creating" and created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 100 and created["MaximumBatchingWindowInSeconds"] == 0
    assert created["ParallelizationFactor"] == 1 and created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1 and created["BisectBatchOnFunctionError"] is False
    assert created["DestinationConfig"] == {"OnFailure": {}} and created["FunctionResponseTypes"] == []
    assert created["LastProcessingResult"] == "No records processed"
    assert created["FunctionArn"].endswith(":function:fn-api")
    uuid = created["UUID"]
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{uuid}")
    with pytest.raises(ClientError) as twice:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn-api", StartingPosition="LATEST")
    assert twice.value.response["Error"]["Code"] == "ResourceConflictException"
    assert uuid in twice.value.response["Error"]["Message"]
    wait_state(lam, uuid, "Enabled")
    assert [m["UUID"] for m in lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]] == [
        uuid
    ]
    assert lam.list_event_source_mappings(FunctionName="fn-api")["EventSourceMappings"][0]["UUID"] == uuid
    assert lam.list_event_source_mappings(FunctionName="other")["EventSourceMappings"] == []
    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=7, MaximumRetryAttempts=3)
    assert updated["State"] == "Updating" and updated["BatchSize"] == 7
    assert wait_state(lam, uuid, "Enabled")["MaximumRetryAttempts"] == 3
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            lam.get_event_source_mapping(UUID=uuid)
        except ClientError as gone:
            assert gone.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the mapping was not deleted")


def test_events_in_order_per_shard_and_shape(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "ordered", shards=2)
    seen_url = recorder(lam, sqs, "fn-order", role)
    sent = [f"r{i}" for i in range(60)]
    numbers = put(kinesis, "ordered", sent)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-order", StartingPosition="TRIM_HORIZON", BatchSize=7
    )
    seen = drain(sqs, seen_url, lambda s: len(records(s)) >= 60)
    got = records(seen)
    assert sorted(texts(seen)) == sorted(sent) and len(got) == 60
    assert all(len(s["event"]["Records"]) <= 7 for s in seen)
    first = got[0]
    assert list(first) == [
        "kinesis", "eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn", "awsRegion",
        "eventSourceARN",
    ]  # fmt: skip
    assert list(first["kinesis"]) == [
        "kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp",
    ]  # fmt: skip
    assert first["eventSource"] == "aws:kinesis" and first["eventName"] == "aws:kinesis:record"
    assert first["eventVersion"] == "1.0" and first["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert (
        first["eventSourceARN"] == arn
        and first["awsRegion"] == "us-east-1"
        and first["invokeIdentityArn"] == role
    )
    assert first["eventID"] == f"{first['eventID'].split(':')[0]}:{first['kinesis']['sequenceNumber']}"
    assert isinstance(first["kinesis"]["approximateArrivalTimestamp"], float)
    by_shard: dict[str, list[int]] = {}
    for record in got:
        shard = record["eventID"].split(":")[0]
        by_shard.setdefault(shard, []).append(int(record["kinesis"]["sequenceNumber"]))
    assert len(by_shard) == 2 and all(seqs == sorted(seqs) for seqs in by_shard.values())
    assert {r["kinesis"]["sequenceNumber"] for r in got} == set(numbers)
    done = wait_state(lam, mapping["UUID"], "Enabled")
    assert done["LastProcessingResult"] == "OK"


def test_bisect_sends_the_bad_record_to_on_failure(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "bisect")
    seen_url = recorder(lam, sqs, "fn-bisect", role, mode="raise")
    dlq = sqs.create_queue(QueueName="bisect-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sent = [f"r{i}" for i in range(8)]
    sent[5] = "bad5"
    numbers = put(kinesis, "bisect", sent, key="same")
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-bisect",
        StartingPosition="TRIM_HORIZON",
        BatchSize=8,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    failures = drain(sqs, dlq, lambda s: len(s) >= 1)
    seen = drain(sqs, seen_url, lambda s: len(texts(s)) >= 7)
    assert texts(seen) == [t for t in sent if t != "bad5"]  # in order, the bad one left out
    failure = failures[0]
    assert list(failure) == ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]
    info = failure["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"] == numbers[5]
    assert info["streamArn"] == arn and info["shardId"] == "shardId-000000000000"
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"].endswith(":function:fn-bisect")
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["LastProcessingResult"] in (
        "OK",
        "PROBLEM: Function call failed",
    )


def test_report_batch_item_failures_checkpoints_at_the_first(
    lam: Any, kinesis: Any, sqs: Any, role: str
) -> None:
    arn = stream(kinesis, "partial")
    seen_url = recorder(lam, sqs, "fn-partial", role, mode="report")
    dlq = sqs.create_queue(QueueName="partial-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sent = ["a", "b", "bad", "c", "d"]
    numbers = put(kinesis, "partial", sent, key="same")
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-partial",
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    failures = drain(sqs, dlq, lambda s: len(s) >= 1)
    seen = drain(sqs, seen_url, lambda s: len(s) >= 2)
    assert [texts([s]) for s in seen] == [sent, sent[2:]]  # retried from the first failed record
    info = failures[0]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        numbers[2],
        numbers[4],
        3,
    )
    put(kinesis, "partial", ["after"], key="same")
    assert texts(drain(sqs, seen_url, lambda s: len(s) >= 1)) == ["after"]


def test_filters_drop_records_and_disable_stops_delivery(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "filtered")
    seen_url = recorder(lam, sqs, "fn-filter", role)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-filter",
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"kind": ["keep"]}})}]},
    )["UUID"]
    wait_state(lam, uuid, "Enabled")
    put(
        kinesis,
        "filtered",
        [json.dumps({"kind": k, "i": i}) for i, k in enumerate(["keep", "drop", "keep", "x"])],
    )
    put(kinesis, "filtered", ["not json"])
    seen = drain(sqs, seen_url, lambda s: len(records(s)) >= 2)
    assert [json.loads(t)["i"] for t in texts(seen)] == [0, 2]
    assert lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    wait_state(lam, uuid, "Disabled")
    put(kinesis, "filtered", [json.dumps({"kind": "keep", "i": 9})])
    assert drain(sqs, seen_url, lambda s: len(s) >= 1, timeout=2) == []  # nothing while disabled
    lam.update_event_source_mapping(UUID=uuid, Enabled=True, FilterCriteria={"Filters": []})
    wait_state(lam, uuid, "Enabled")
    put(kinesis, "filtered", ["plain now"])
    seen = drain(sqs, seen_url, lambda s: len(records(s)) >= 2)
    assert texts(seen) == [json.dumps({"kind": "keep", "i": 9}), "plain now"]  # resumed where it stopped


def test_kill_9_resumes_without_skipping(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:

        def clients() -> tuple[Any, Any, Any]:
            make = lambda name: client_for(server.endpoint, name)  # noqa: E731
            return make("lambda"), make("kinesis"), make("sqs")

        lam, kinesis, sqs = clients()
        role = ensure_role(lambda name: client_for(server.endpoint, name))
        arn = stream(kinesis, "resume", shards=2)
        seen_url = recorder(lam, sqs, "fn-resume", role)
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="fn-resume", StartingPosition="TRIM_HORIZON", BatchSize=5
        )
        sent = [f"r{i}" for i in range(150)]
        put(kinesis, "resume", sent[:100])
        first = drain(sqs, seen_url, lambda s: len(records(s)) >= 20)
        server.kill()
        server = durable_server(data_dir).start()
        lam, kinesis, sqs = clients()
        put(kinesis, "resume", sent[100:])
        rest = drain(sqs, seen_url, lambda s: set(texts(first + s)) >= set(sent), timeout=60)
        got = texts(first + rest)
        assert set(got) == set(sent), sorted(set(sent) - set(got))  # nothing skipped
        duplicates = len(got) - len(set(got))
        print(f"delivered again after kill -9: {duplicates}")
        assert duplicates <= 20, duplicates  # at most the batches in flight at the kill (2 shards x 5)...
        by_shard: dict[str, list[int]] = {}
        for record in records(first + rest):
            by_shard.setdefault(record["eventID"].split(":")[0], []).append(
                int(record["kinesis"]["sequenceNumber"])
            )
        for seqs in by_shard.values():  # in order, but for the batches delivered again
            assert list(dict.fromkeys(seqs)) == sorted(set(seqs))
    finally:
        server.stop()
