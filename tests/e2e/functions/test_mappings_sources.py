"""Kinesis and SQS mappings: an enhanced fan-out consumer as the source, batches cut to Lambda's
6 MB payload, and mappings that outlive their function (and show in the inventory)."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.functions.support import drain, error_of, python_function, recorder, wait_state
from tests.e2e.functions.test_mappings_kinesis import put, records, stream, texts
from tests.e2e.support.server import Server

# sends the size of each event it gets and its records' ids (not their data) to SEEN
SIZES = """
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    ids = [r["kinesis"]["sequenceNumber"] if "kinesis" in r else r["messageId"] for r in event["Records"]]
    size = len(json.dumps(event, separators=(",", ":")))
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps({"ids": ids, "size": size}))
    return {}
"""
LIMIT = 6 * 1024 * 1024


def sizes_function(lam: Any, sqs: Any, name: str, role: str) -> str:
    seen = sqs.create_queue(QueueName=f"{name}-seen")["QueueUrl"]
    python_function(
        lam, name, SIZES, role, Timeout=20, MemorySize=512, Environment={"Variables": {"SEEN": seen}}
    )
    return str(seen)


def test_a_consumer_arn_as_the_source(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "fanout")
    seen_url = recorder(lam, sqs, "fn-fanout", role)
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="lambda-efo")["Consumer"]
    consumer_arn = consumer["ConsumerARN"]
    missing = f"{arn}/consumer/nobody:1700000000"
    code, message, status = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=missing, FunctionName="fn-fanout", StartingPosition="TRIM_HORIZON"
        )
    )
    assert (code, status) == ("InvalidParameterValueException", 400) and missing in message
    deadline = time.monotonic() + 20
    while kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)["ConsumerDescription"][
        "ConsumerStatus"
    ] != ("ACTIVE"):
        assert time.monotonic() < deadline, "the consumer never became ACTIVE"
        time.sleep(0.1)
    put(kinesis, "fanout", ["x", "y", "z"], key="k")
    uuid = lam.create_event_source_mapping(
        EventSourceArn=consumer_arn, FunctionName="fn-fanout", StartingPosition="TRIM_HORIZON"
    )["UUID"]
    seen = drain(sqs, seen_url, lambda s: len(records(s)) >= 3)
    assert texts(seen) == ["x", "y", "z"]
    assert {r["eventSourceARN"] for r in records(seen)} == {arn}  # the events name the stream
    assert wait_state(lam, uuid, "Enabled")["EventSourceArn"] == consumer_arn
    listed = lam.list_event_source_mappings(EventSourceArn=consumer_arn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []


def test_kinesis_batches_are_cut_to_the_payload_limit(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    arn = stream(kinesis, "big")
    seen_url = sizes_function(lam, sqs, "fn-big", role)
    numbers = [
        kinesis.put_record(StreamName="big", Data=bytes([65 + i]) * 1_000_000, PartitionKey="k")[
            "SequenceNumber"
        ]
        for i in range(10)
    ]
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-big", StartingPosition="TRIM_HORIZON", BatchSize=10
    )
    seen = drain(sqs, seen_url, lambda s: sum(len(e["ids"]) for e in s) >= 10, timeout=60)
    assert [n for e in seen for n in e["ids"]] == numbers  # all of them, in order, none failed
    assert all(e["size"] <= LIMIT for e in seen) and len(seen) >= 3
    assert [len(e["ids"]) for e in seen][:2] == [4, 4]  # as many as fit: 4 x 1.33 MB of base64


def test_sqs_batches_are_cut_to_the_payload_limit(lam: Any, sqs: Any, role: str) -> None:
    queue = sqs.create_queue(QueueName="big-sqs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    seen_url = sizes_function(lam, sqs, "fn-big-sqs", role)
    sent = set()
    for _ in range(8):
        entries = [{"Id": str(j), "MessageBody": chr(65 + j) * 250_000} for j in range(4)]
        answer = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        sent |= {m["MessageId"] for m in answer["Successful"]}
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName="fn-big-sqs",
        BatchSize=32,
        MaximumBatchingWindowInSeconds=1,
        ScalingConfig={"MaximumConcurrency": 2},
    )
    seen = drain(sqs, seen_url, lambda s: {i for e in s for i in e["ids"]} >= sent, timeout=60)
    assert {i for e in seen for i in e["ids"]} == sent
    assert all(e["size"] <= LIMIT for e in seen)
    assert max(len(e["ids"]) for e in seen) > 10  # batches beyond ten messages, cut below 32


def test_a_mapping_outlives_its_function_and_is_in_the_inventory(
    server: Server, lam: Any, kinesis: Any, sqs: Any, role: str
) -> None:
    arn = stream(kinesis, "orphan")
    seen_url = recorder(lam, sqs, "fn-orphan", role)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="fn-orphan", StartingPosition="LATEST"
    )["UUID"]
    wait_state(lam, uuid, "Enabled")
    inventory = server.admin("GET", "resources")["functions"]
    assert isinstance(inventory, dict)
    assert inventory["event-source-mappings"] == [f"{uuid} -> fn-orphan (Enabled)"]
    lam.delete_function(FunctionName="fn-orphan")
    # DeleteFunction leaves the mapping, as Lambda documents (DeleteEventSourceMapping removes it)
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionArn"].endswith(":function:fn-orphan")
    put(kinesis, "orphan", ["kept-1", "kept-2"], key="k")
    deadline = time.monotonic() + 15
    while lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] != "PROBLEM: Function not found":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    seen_url = recorder(lam, sqs, "fn-orphan", role)  # the function again: the records held are delivered
    seen = drain(sqs, seen_url, lambda s: len(records(s)) >= 2)
    assert texts(seen) == ["kept-1", "kept-2"]
    lam.delete_event_source_mapping(UUID=uuid)
    deadline = time.monotonic() + 15
    while server.admin("GET", "resources")["functions"]["event-source-mappings"]:  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.1)
