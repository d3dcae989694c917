"""Helpers for the Firehose end-to-end tests: a stream into a bucket, and what the bucket holds."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.support.s3 import wait_for

ROLE = "arn:aws:iam::000000000000:role/firehose"
# <prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>, the default prefix YYYY/MM/dd/HH/
KEY = re.compile(
    r"(?P<prefix>.*?)(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/"
    r"(?P<stream>[\w.-]+)-(?P<version>\d+)-(?P=y)-(?P=m)-(?P=d)-(?P=h)-\d{2}-\d{2}-"
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(?P<ext>(\.\w+)?)"
)


def s3_stream(
    firehose: Any,
    name: str,
    bucket: str,
    *,
    size_mb: int = 5,
    interval_s: int = 300,
    **extra: Any,
) -> str:
    config = {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
        **extra,
    }
    answer = firehose.create_delivery_stream(
        DeliveryStreamName=name, ExtendedS3DestinationConfiguration=config
    )
    return str(answer["DeliveryStreamARN"])


def objects(s3: Any, bucket: str, prefix: str = "") -> list[tuple[str, bytes]]:
    """(key, body) of every object, in key order (keys sort by their time, then their id)."""
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    return [(key, s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]


def wait_objects(
    s3: Any, bucket: str, count: int, timeout: float = 20.0, prefix: str = ""
) -> list[tuple[str, bytes]]:
    return list(
        wait_for(
            lambda: (found := objects(s3, bucket, prefix)) and len(found) >= count and found,
            timeout,
            f"{count} objects in {bucket}/{prefix}",
        )
    )
