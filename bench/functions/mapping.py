"""A Kinesis event-source mapping's delivered records/s and lag into a trivial Python handler.

A stream of 2 shards gets a backlog of RECORDS records (PutRecords, not timed); then a mapping with
BatchSize 100 from TRIM_HORIZON drains it into a handler that appends each batch's shard, sequence
numbers and its clock to a file (one write per batch, O_APPEND): `mapping_rps` is the records
delivered between the first and the last invoke over that time. Then LAG_PUTS PutRecords of 100,
LAG_GAP_S apart, measure the lag from a batch's last record's arrival to its invoke:
`mapping_lag_p50_ms`. Every record sent must reach the handler, each shard's in order (a batch
delivered again after a retry would show as a repeat, which also fails the check).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import control as common
from bench.functions import control

RECORDS = 100_000
SHARDS = 2
BATCH = 100
LAG_PUTS = 30
LAG_GAP_S = 0.1
DEADLINE_S = 180.0
FUNCTION = "bench-mapping"
STREAM = "bench-mapping"
# The trivial handler: one append per batch, so the handler costs little beside the delivery.
HANDLER = """\
import json
import os
import time

OUT = os.open(os.environ["OUT"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)


def handler(event, context):
    now = time.time()
    records = event["Records"]
    shard = records[0]["eventID"].split(":")[0]
    numbers = [r["kinesis"]["sequenceNumber"] for r in records]
    arrival = records[-1]["kinesis"]["approximateArrivalTimestamp"]
    os.write(OUT, (json.dumps([shard, numbers, now, arrival]) + "\\n").encode())
    return {}
"""


def _put(kinesis: Any, count: int, sent: dict[str, list[str]]) -> None:
    for start in range(0, count, 500):
        entries = [
            {"PartitionKey": uuid.uuid4().hex, "Data": b"%d" % i}
            for i in range(start, min(count, start + 500))
        ]
        answer = kinesis.put_records(StreamName=STREAM, Records=entries)
        if answer.get("FailedRecordCount"):
            raise RuntimeError(f"PutRecords failed {answer['FailedRecordCount']} records")
        for entry in answer["Records"]:
            sent.setdefault(entry["ShardId"], []).append(entry["SequenceNumber"])


def _batches(out: Path) -> list[tuple[str, list[str], float, float]]:
    if not out.exists():
        return []
    lines = out.read_text().splitlines()
    return [tuple(json.loads(line)) for line in lines if line.endswith("]")]  # type: ignore[misc]


def _wait(out: Path, total: int) -> list[tuple[str, list[str], float, float]]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        batches = _batches(out)
        if sum(len(b[1]) for b in batches) >= total or time.monotonic() > deadline:
            return batches
        time.sleep(0.2)


def _check(sent: dict[str, list[str]], batches: list[tuple[str, list[str], float, float]]) -> str:
    got: dict[str, list[str]] = {}
    for shard, numbers, _, _ in batches:
        got.setdefault(shard, []).extend(numbers)
    for shard, numbers in sent.items():
        if got.get(shard) != numbers:
            have = got.get(shard, [])
            missing = len(set(numbers) - set(have))
            return (
                f"shard {shard}: {len(have)} delivered of {len(numbers)}, {missing} missing, or out of order"
            )
    return ""


def measure(port: int, lam: Any, metrics: dict[str, float]) -> str:
    """Fills `metrics`; returns a note ("" when measured and nothing was lost or reordered)."""
    out = Path(tempfile.mkdtemp(prefix="bench-mapping-")) / "batches.jsonl"
    kinesis = common.client("kinesis", port)
    uuid_ = None
    try:
        control.ensure_role(port)
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.11",
            Role=control.ROLE,
            Handler="app.handler",
            Code={"ZipFile": control.package(HANDLER)},
            Environment={"Variables": {"OUT": str(out)}},
        )
        control.wait_active(lam, FUNCTION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=SHARDS)
        kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 0.2})
        arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
        sent: dict[str, list[str]] = {}
        _put(kinesis, RECORDS, sent)
        uuid_ = lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=FUNCTION, StartingPosition="TRIM_HORIZON", BatchSize=BATCH
        )["UUID"]
        batches = _wait(out, RECORDS)
        delivered = sum(len(b[1]) for b in batches)
        if len(batches) >= 2:
            first, last = min(b[2] for b in batches), max(b[2] for b in batches)
            metrics["mapping_rps"] = (delivered - len(batches[0][1])) / max(last - first, 1e-6)
        drained = len(batches)
        for _ in range(LAG_PUTS):
            _put(kinesis, BATCH, sent)
            time.sleep(LAG_GAP_S)
        batches = _wait(out, RECORDS + LAG_PUTS * BATCH)
        lags = [(now - arrival) * 1000 for _, _, now, arrival in batches[drained:]]
        if lags:
            metrics["mapping_lag_p50_ms"] = statistics.median(lags)
            metrics["mapping_lag_max_ms"] = max(lags)
        problem = _check(sent, batches)
        return f"lost or reordered: {problem}" if problem else ""
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"n/a: {common.reason(exc)}"
    finally:
        for cleanup in (
            lambda: uuid_ and lam.delete_event_source_mapping(UUID=uuid_),
            lambda: lam.delete_function(FunctionName=FUNCTION),
            lambda: kinesis.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True),
        ):
            with contextlib.suppress(Exception):  # a best-effort cleanup
                cleanup()
        kinesis.close()
        shutil.rmtree(out.parent, ignore_errors=True)  # the temporary directory, not only its file
