"""Helpers for the processing e2e tests: a bucket, a delivery stream with processors, objects read back."""

from __future__ import annotations

import time
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/firehose-role"


def processor(kind: str, **params: Any) -> dict[str, Any]:
    return {
        "Type": kind,
        "Parameters": [{"ParameterName": k, "ParameterValue": str(v)} for k, v in params.items()],
    }


def stream(firehose: Any, s3: Any, name: str, *processors: dict[str, Any], **destination: Any) -> str:
    """A DirectPut stream to bucket `<name>-bucket` running `processors`, ACTIVE; returns its ARN."""
    bucket = f"{name}-bucket"
    s3.create_bucket(Bucket=bucket)
    config: dict[str, Any] = {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        **destination,
    }
    if processors:
        config["ProcessingConfiguration"] = {"Enabled": True, "Processors": list(processors)}
    arn = firehose.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut", ExtendedS3DestinationConfiguration=config
    )["DeliveryStreamARN"]
    deadline = time.monotonic() + 15
    while (
        firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
            "DeliveryStreamStatus"
        ]
        != "ACTIVE"
    ):
        assert time.monotonic() < deadline, "the stream never became ACTIVE"
        time.sleep(0.05)
    return str(arn)


def put(firehose: Any, name: str, datas: list[bytes]) -> None:
    answer = firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": d} for d in datas])
    assert answer["FailedPutCount"] == 0, answer


def objects(s3: Any, bucket: str, done: Any, timeout: float = 30.0, advance: Any = None) -> dict[str, bytes]:
    """{key: body} of the bucket once `done(objects)` holds (or the deadline passes: then what is there).
    `advance()` is called between polls (to move the test clock past buffer intervals)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {
            item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        }
        if done(found) or time.monotonic() > deadline:
            return found
        if advance is not None:
            advance()
        time.sleep(0.1)
