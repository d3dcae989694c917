"""S3 object keys and the end of the retry window: error documents under `<Prefix><type>/` when
ErrorOutputPrefix is null, object names in the CustomTimeZone, and an object dropped (and said so
in the error log) once a refusing bucket has held it for 24 hours."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import KEY, objects, s3_stream, wait_objects
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import Server


@pytest.fixture
def firehose(client: Any) -> Any:
    return client("firehose")


@pytest.fixture
def s3(client: Any) -> Any:
    return client("s3")


def test_object_name_in_the_custom_time_zone(firehose: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="bucket-tz")
    s3_stream(firehose, "tz", "bucket-tz", size_mb=1, interval_s=0, Prefix="tz/", CustomTimeZone="Asia/Tokyo")
    before = datetime.now(ZoneInfo("Asia/Tokyo"))
    firehose.put_record(DeliveryStreamName="tz", Record={"Data": b"x"})
    ((key, body),) = wait_objects(s3, "bucket-tz", 1)
    after = datetime.now(ZoneInfo("Asia/Tokyo"))
    match = KEY.fullmatch(key)
    assert match and match["prefix"] == "tz/" and body == b"x"
    # the prefix and the name's stamp both in Tokyo time (KEY ties the name's date to the prefix's)
    hours = {f"{t:%Y/%m/%d/%H}" for t in (before, after)}
    assert f"{match['y']}/{match['m']}/{match['d']}/{match['h']}" in hours


def test_errors_under_the_prefix_without_error_output_prefix(firehose: Any, s3: Any) -> None:
    s3.create_bucket(Bucket="bucket-noerr")
    s3_stream(
        firehose,
        "noerr",
        "bucket-noerr",
        size_mb=1,
        interval_s=0,
        Prefix="base/",
        ProcessingConfiguration={
            "Enabled": True,
            "Processors": [
                {
                    "Type": "RecordDeAggregation",
                    "Parameters": [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}],
                }
            ],
        },
    )
    firehose.put_record(DeliveryStreamName="noerr", Record={"Data": b"{not json"})
    ((key, body),) = wait_objects(s3, "bucket-noerr", 1)
    assert key.startswith("base/processing-failed/")
    assert KEY.fullmatch(key.removeprefix("base/processing-failed/"))
    assert json.loads(body)["errorCode"]


def test_dropped_after_24_hours(firehose: Any, s3: Any, client: Any, server: Server) -> None:
    logs = client("logs")
    s3_stream(
        firehose,
        "drop",
        "bucket-drop",
        size_mb=1,
        interval_s=0,
        CloudWatchLoggingOptions={
            "Enabled": True,
            "LogGroupName": "/aws/firehose/drop",
            "LogStreamName": "S3",
        },
    )
    firehose.put_record(DeliveryStreamName="drop", Record={"Data": b"lost"})

    def messages() -> list[str]:
        try:
            events = logs.get_log_events(logGroupName="/aws/firehose/drop", logStreamName="S3")["events"]
        except ClientError:
            return []
        return [json.loads(e["message"])["message"] for e in events]

    wait_for(messages, 10, "a failure logged")
    server.advance(24 * 3600 + 5)
    found = wait_for(lambda: [m for m in messages() if "discarded" in m], 10, "the drop logged")
    assert "24-hour" in found[0]
    s3.create_bucket(Bucket="bucket-drop")
    firehose.put_record(DeliveryStreamName="drop", Record={"Data": b"next"})
    ((_, body),) = wait_objects(s3, "bucket-drop", 1)
    assert body == b"next"
    time.sleep(0.3)
    assert [b for _, b in objects(s3, "bucket-drop")] == [b"next"]
