"""Bucket inventory end to end: the configurations (Put/Get/List/Delete) and a daily CSV report
delivered to the destination bucket on the server's test clock, laid out as S3 lays it out
(gzipped CSV data, manifest.json, manifest.checksum)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from typing import Any

from tests.e2e.support.s3 import error_of, keys_of, wait_for
from tests.e2e.support.server import Server

DAY = 86400.0


def configuration(config_id: str, fmt: str = "CSV") -> dict[str, Any]:
    return {
        "Id": config_id,
        "IsEnabled": True,
        "IncludedObjectVersions": "Current",
        "Destination": {
            "S3BucketDestination": {"Bucket": "arn:aws:s3:::reports", "Format": fmt, "Prefix": "inv"}
        },
        "Schedule": {"Frequency": "Daily"},
        "OptionalFields": ["Size", "ETag"],
    }


def test_inventory_configurations_round_trip(s3: Any) -> None:
    s3.create_bucket(Bucket="counted")
    missing = error_of(s3.get_bucket_inventory_configuration, Bucket="counted", Id="daily")
    assert (missing.code, missing.status) == ("NoSuchConfiguration", 404)
    assert s3.list_bucket_inventory_configurations(Bucket="counted")["IsTruncated"] is False
    s3.put_bucket_inventory_configuration(
        Bucket="counted", Id="daily", InventoryConfiguration=configuration("daily")
    )
    got = s3.get_bucket_inventory_configuration(Bucket="counted", Id="daily")["InventoryConfiguration"]
    assert got == configuration("daily")
    listed = s3.list_bucket_inventory_configurations(Bucket="counted")["InventoryConfigurationList"]
    assert [c["Id"] for c in listed] == ["daily"]
    mismatch = error_of(
        s3.put_bucket_inventory_configuration,
        Bucket="counted",
        Id="other",
        InventoryConfiguration=configuration("daily"),
    )
    assert mismatch.code == "InvalidArgument"
    deleted = s3.delete_bucket_inventory_configuration(Bucket="counted", Id="daily")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    gone = error_of(s3.delete_bucket_inventory_configuration, Bucket="counted", Id="daily")
    assert gone.code == "NoSuchConfiguration"


def test_daily_csv_report_is_delivered(s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="reports")
    s3.create_bucket(Bucket="counted")
    for key, body in (("a.txt", b"alpha"), ("dir/b.txt", b"bravo!")):
        s3.put_object(Bucket="counted", Key=key, Body=body)
    s3.put_bucket_inventory_configuration(
        Bucket="counted", Id="daily", InventoryConfiguration=configuration("daily")
    )
    server.advance(DAY + 60)

    def delivered() -> list[str]:
        keys = keys_of(s3.list_objects_v2(Bucket="reports", Prefix="inv/counted/daily/"))
        return keys if any(k.endswith("manifest.checksum") for k in keys) else []

    keys = wait_for(delivered, what="an inventory report")
    manifest_key = next(k for k in keys if k.endswith("manifest.json"))
    document = s3.get_object(Bucket="reports", Key=manifest_key)["Body"].read()
    checksum_key = manifest_key.replace("manifest.json", "manifest.checksum")
    checksum = s3.get_object(Bucket="reports", Key=checksum_key)["Body"].read().decode()
    assert checksum == hashlib.md5(document).hexdigest()
    manifest = json.loads(document)
    assert manifest["sourceBucket"] == "counted"
    assert manifest["destinationBucket"] == "arn:aws:s3:::reports"
    assert (manifest["fileFormat"], manifest["fileSchema"]) == ("CSV", "Bucket, Key, Size, ETag")
    [entry] = manifest["files"]
    assert entry["key"].startswith("inv/counted/daily/data/") and entry["key"].endswith(".csv.gz")
    data = s3.get_object(Bucket="reports", Key=entry["key"])["Body"].read()
    assert hashlib.md5(data).hexdigest() == entry["MD5checksum"] and len(data) == entry["size"]
    rows = list(csv.reader(io.StringIO(gzip.decompress(data).decode())))
    assert rows == [
        ["counted", "a.txt", "5", hashlib.md5(b"alpha").hexdigest()],
        ["counted", "dir/b.txt", "6", hashlib.md5(b"bravo!").hexdigest()],
    ]
    assert b'"counted","a.txt"' in gzip.decompress(data)  # every field quoted, as S3 writes them
