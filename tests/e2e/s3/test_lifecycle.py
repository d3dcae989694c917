"""S3 lifecycle rules end to end: the configuration round trip, and expiration applied in the
background on the server's test clock (S3 expires objects at the first midnight UTC after
creation + Days, so two days and a minute later every object under the rule is gone)."""

from __future__ import annotations

from typing import Any

from tests.e2e.support.s3 import error_of, keys_of, wait_for
from tests.e2e.support.server import Server

DAY = 86400.0
RULES = [
    {"ID": "expire-tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
    {"ID": "disabled", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1}},
    {
        "ID": "abort-uploads",
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    },
]


def test_lifecycle_configuration_round_trip(s3: Any) -> None:
    s3.create_bucket(Bucket="ruled")
    none = error_of(s3.get_bucket_lifecycle_configuration, Bucket="ruled")
    assert (none.code, none.status) == ("NoSuchLifecycleConfiguration", 404)
    assert none.message == "The lifecycle configuration does not exist"
    s3.put_bucket_lifecycle_configuration(Bucket="ruled", LifecycleConfiguration={"Rules": RULES})
    got = s3.get_bucket_lifecycle_configuration(Bucket="ruled")["Rules"]
    assert sorted(got, key=lambda r: r["ID"]) == sorted(RULES, key=lambda r: r["ID"])
    deleted = s3.delete_bucket_lifecycle(Bucket="ruled")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert (
        error_of(s3.get_bucket_lifecycle_configuration, Bucket="ruled").code == "NoSuchLifecycleConfiguration"
    )


def test_expiration_runs_in_the_background(s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="ruled")
    s3.put_bucket_lifecycle_configuration(Bucket="ruled", LifecycleConfiguration={"Rules": RULES})
    for key in ("tmp/a", "tmp/deep/b", "keep/c", "top"):
        s3.put_object(Bucket="ruled", Key=key, Body=key.encode())
    upload_id = s3.create_multipart_upload(Bucket="ruled", Key="pending")["UploadId"]
    server.advance(2 * DAY + 60)
    wait_for(
        lambda: keys_of(s3.list_objects_v2(Bucket="ruled")) == ["keep/c", "top"],
        timeout=15,
        what="objects under tmp/ expired",
    )
    wait_for(
        lambda: not s3.list_multipart_uploads(Bucket="ruled").get("Uploads"),
        timeout=15,
        what="the incomplete upload aborted",
    )
    assert error_of(s3.list_parts, Bucket="ruled", Key="pending", UploadId=upload_id).code == "NoSuchUpload"
    assert s3.get_object(Bucket="ruled", Key="keep/c")["Body"].read() == b"keep/c"
