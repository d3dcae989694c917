"""Kinesis mappings with TumblingWindowInSeconds: the window's state carried from invoke to
invoke, the final invoke at the window's end (the server clock advanced, nothing slept)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.functions.support import drain, ensure_role, error_of, python_function, wait_state
from tests.e2e.functions.test_mappings_kinesis import put, stream
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, durable_server

WINDOW = 300
# sends each event (without its records' bodies) to SEEN; its state counts records and joins texts
COUNTER = """
import base64
import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    texts = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    summary = {k: v for k, v in event.items() if k != "Records"}
    summary["texts"] = texts
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(summary))
    state = event["state"]
    return {"state": {"count": state.get("count", 0) + len(texts), "texts": state.get("texts", []) + texts}}
"""


def server_now(kinesis: Any, probe: str = "clock-probe") -> float:
    """The server clock (advanced by earlier tests), read from a record's arrival time."""
    stream(kinesis, probe)
    number = kinesis.put_record(StreamName=probe, Data=b"x", PartitionKey="k")["SequenceNumber"]
    shard = kinesis.get_shard_iterator(
        StreamName=probe,
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=number,
    )["ShardIterator"]
    return float(
        kinesis.get_records(ShardIterator=shard)["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
    )


def test_state_flows_through_a_window_and_the_final_invoke(
    server: Server, lam: Any, kinesis: Any, sqs: Any, role: str
) -> None:
    now = server_now(kinesis)
    server.advance(WINDOW - now % WINDOW + 1)  # one second into a window: the records all fall in it
    arn = stream(kinesis, "tumbling")
    seen_url = sqs.create_queue(QueueName="tumbling-seen")["QueueUrl"]
    env = {"Variables": {"SEEN": seen_url}}
    python_function(lam, "fn-tumbling", COUNTER, role, Timeout=10, Environment=env)
    put(kinesis, "tumbling", ["a", "b", "c", "d", "e"], key="same")
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="fn-tumbling",
        StartingPosition="TRIM_HORIZON",
        BatchSize=2,
        TumblingWindowInSeconds=WINDOW,
    )
    assert mapping["TumblingWindowInSeconds"] == WINDOW
    seen = drain(sqs, seen_url, lambda s: sum(len(e["texts"]) for e in s) >= 5)
    assert [e["texts"] for e in seen] == [["a", "b"], ["c", "d"], ["e"]]
    assert [e["state"] for e in seen] == [
        {},
        {"count": 2, "texts": ["a", "b"]},
        {"count": 4, "texts": ["a", "b", "c", "d"]},
    ]
    first = seen[0]
    assert list(first) == [
        "window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly",
        "texts",
    ]  # fmt: skip
    assert first["shardId"] == "shardId-000000000000" and first["eventSourceARN"] == arn
    assert not any(e["isFinalInvokeForWindow"] or e["isWindowTerminatedEarly"] for e in seen)
    start, end = first["window"]["start"], first["window"]["end"]
    assert (
        start.endswith(":00Z") and end.endswith(":00Z") and all(e["window"] == first["window"] for e in seen)
    )
    assert drain(sqs, seen_url, lambda s: len(s) >= 1, timeout=1.5) == []  # the window is still open
    server.advance(WINDOW)
    final = drain(sqs, seen_url, lambda s: len(s) >= 1)
    assert len(final) == 1 and final[0]["isFinalInvokeForWindow"] is True and final[0]["texts"] == []
    assert final[0]["state"] == {"count": 5, "texts": ["a", "b", "c", "d", "e"]}
    assert final[0]["window"] == first["window"]
    put(kinesis, "tumbling", ["f"], key="same")  # the next window starts with an empty state
    later = drain(sqs, seen_url, lambda s: len(s) >= 1)
    assert later[0]["texts"] == ["f"] and later[0]["state"] == {} and later[0]["window"] != first["window"]
    assert wait_state(lam, mapping["UUID"], "Enabled")["LastProcessingResult"] == "OK"


def test_tumbling_window_is_for_streams_only(lam: Any, kinesis: Any, sqs: Any, role: str) -> None:
    queue = sqs.create_queue(QueueName="tumbling-sqs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    python_function(lam, "fn-tumbling-sqs", "def handler(event, context):\n    return {}\n", role)
    code, message, _ = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName="fn-tumbling-sqs", TumblingWindowInSeconds=60
        )
    )
    assert code == "InvalidParameterValueException"
    assert message == "Unsupported TumblingWindowInSeconds parameter for given event source mapping type."
    arn = stream(kinesis, "tumbling-range")
    code, message, _ = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="fn-tumbling-sqs",
            StartingPosition="LATEST",
            TumblingWindowInSeconds=901,
        )
    )
    assert code == "ValidationException" and "tumblingWindowInSeconds" in message, message


def test_kill_9_keeps_the_window_state_with_the_checkpoint(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        make = lambda name: client_for(server.endpoint, name)  # noqa: E731
        lam, kinesis, sqs = make("lambda"), make("kinesis"), make("sqs")
        role = ensure_role(make)
        now = server_now(kinesis)
        server.advance(WINDOW - now % WINDOW + 1)
        window_end = now - now % WINDOW + 2 * WINDOW
        arn = stream(kinesis, "wresume")
        seen_url = sqs.create_queue(QueueName="wresume-seen")["QueueUrl"]
        env = {"Variables": {"SEEN": seen_url}}
        python_function(lam, "fn-wresume", COUNTER, role, Timeout=10, Environment=env)
        sent = [f"t{i}" for i in range(40)]
        put(kinesis, "wresume", sent, key="same")
        lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="fn-wresume",
            StartingPosition="TRIM_HORIZON",
            BatchSize=2,
            TumblingWindowInSeconds=WINDOW,
        )
        drain(sqs, seen_url, lambda s: len(s) >= 3)
        server.kill()
        server = durable_server(data_dir).start()
        make = lambda name: client_for(server.endpoint, name)  # noqa: E731
        kinesis, sqs = make("kinesis"), make("sqs")
        seen = drain(sqs, seen_url, lambda s: any(sent[-1] in e["texts"] for e in s))
        server.advance(max(1.0, window_end - server_now(kinesis, "probe-again") + 1))
        final = drain(sqs, seen_url, lambda s: any(e["isFinalInvokeForWindow"] for e in s))
        closing = [e for e in seen + final if e["isFinalInvokeForWindow"]]
        assert len(closing) == 1, closing
        # the state written with each checkpoint: records delivered again after the kill count once
        assert closing[0]["state"]["texts"] == sent and closing[0]["state"]["count"] == len(sent)
    finally:
        server.stop()
