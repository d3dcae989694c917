"""Object Lock end to end with boto3: write-once versions that nobody can remove early (COMPLIANCE),
that only a bypass removes (GOVERNANCE), legal holds, bucket default retention, locks kept across a
kill -9, freed once the server clock passes retain-until, and lifecycle leaving locked versions be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.e2e.support.s3 import error_of, s3_client, wait_for
from tests.e2e.support.server import durable_server

LOCKED = "Access Denied because object protected by object lock."
DAY = 86_400


def _in(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def _locked_bucket(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


def test_compliance_version_cannot_be_removed_or_shortened(s3: Any) -> None:
    _locked_bucket(s3, "vault")
    until = _in(3600).replace(microsecond=0)
    put = s3.put_object(
        Bucket="vault", Key="ledger", Body=b"v1", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )
    version = put["VersionId"]
    head = s3.head_object(Bucket="vault", Key="ledger")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", until)
    got = s3.get_object(Bucket="vault", Key="ledger", VersionId=version)
    assert got["ObjectLockMode"] == "COMPLIANCE" and got["Body"].read() == b"v1"
    for bypass in (False, True):
        error = error_of(
            s3.delete_object,
            Bucket="vault",
            Key="ledger",
            VersionId=version,
            BypassGovernanceRetention=bypass,
        )
        assert (error.code, error.message, error.status) == ("AccessDenied", LOCKED, 403)
    shorten = error_of(
        s3.put_object_retention,
        Bucket="vault",
        Key="ledger",
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _in(60)},
        BypassGovernanceRetention=True,
    )
    assert (shorten.code, shorten.message) == ("AccessDenied", LOCKED)
    batch = s3.delete_objects(Bucket="vault", Delete={"Objects": [{"Key": "ledger", "VersionId": version}]})
    assert batch["Errors"] == [
        {"Key": "ledger", "VersionId": version, "Code": "AccessDenied", "Message": LOCKED}
    ]
    # overwriting and deleting without a version id add versions; the locked one stays readable
    s3.put_object(Bucket="vault", Key="ledger", Body=b"v2")
    assert s3.delete_object(Bucket="vault", Key="ledger")["DeleteMarker"] is True
    assert s3.get_object(Bucket="vault", Key="ledger", VersionId=version)["Body"].read() == b"v1"
    retention = s3.get_object_retention(Bucket="vault", Key="ledger", VersionId=version)["Retention"]
    assert retention == {"Mode": "COMPLIANCE", "RetainUntilDate": until}


def test_governance_needs_the_bypass(s3: Any) -> None:
    _locked_bucket(s3, "gov")
    version = s3.put_object(
        Bucket="gov", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_in(3600)
    )["VersionId"]
    assert error_of(s3.delete_object, Bucket="gov", Key="k", VersionId=version).code == "AccessDenied"
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": _in(600)}
    assert error_of(s3.put_object_retention, Bucket="gov", Key="k", Retention=shorter).code == "AccessDenied"
    s3.put_object_retention(Bucket="gov", Key="k", Retention=shorter, BypassGovernanceRetention=True)
    deleted = s3.delete_objects(
        Bucket="gov", Delete={"Objects": [{"Key": "k", "VersionId": version}]}, BypassGovernanceRetention=True
    )
    assert deleted["Deleted"] == [{"Key": "k", "VersionId": version}]


def test_legal_hold_and_default_retention(s3: Any) -> None:
    s3.create_bucket(Bucket="held")
    s3.put_bucket_versioning(Bucket="held", VersioningConfiguration={"Status": "Enabled"})
    # enabling Object Lock on an existing versioned bucket, as AWS allows
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    s3.put_object_lock_configuration(
        Bucket="held", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    config = s3.get_object_lock_configuration(Bucket="held")["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled", "Rule": rule}
    version = s3.put_object(Bucket="held", Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    head = s3.head_object(Bucket="held", Key="k")
    assert head["ObjectLockLegalHoldStatus"] == "ON" and head["ObjectLockMode"] == "GOVERNANCE"
    remaining = head["ObjectLockRetainUntilDate"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=23) < remaining <= dt.timedelta(days=1)
    error = error_of(
        s3.delete_object, Bucket="held", Key="k", VersionId=version, BypassGovernanceRetention=True
    )
    assert error.message == LOCKED  # the hold binds even with the bypass
    s3.put_object_legal_hold(Bucket="held", Key="k", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket="held", Key="k")["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket="held", Key="k", VersionId=version, BypassGovernanceRetention=True)
    # multipart uploads and copies carry the lock they name
    upload = s3.create_multipart_upload(
        Bucket="held", Key="mp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=_in(3600)
    )
    part = s3.upload_part(Bucket="held", Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(
        Bucket="held",
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert s3.head_object(Bucket="held", Key="mp")["ObjectLockMode"] == "COMPLIANCE"
    s3.copy_object(Bucket="held", Key="copy", CopySource="held/mp", ObjectLockLegalHoldStatus="ON")
    copied = s3.head_object(Bucket="held", Key="copy")
    assert copied["ObjectLockLegalHoldStatus"] == "ON" and copied["ObjectLockMode"] == "GOVERNANCE"


def test_lock_write_errors(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="plain")
    missing = error_of(
        s3.put_object,
        Bucket="plain",
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=_in(60),
    )
    assert (missing.code, missing.message) == (
        "InvalidRequest",
        "Bucket is missing Object Lock Configuration",
    )
    _locked_bucket(s3, "strict")
    past = error_of(
        s3.put_object,
        Bucket="strict",
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=_in(-60),
    )
    assert (past.code, past.message) == ("InvalidArgument", "The retain until date must be in the future!")
    bare = s3_client(endpoint, request_checksum_calculation="when_required")
    no_digest = error_of(bare.put_object, Bucket="strict", Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert (no_digest.code, no_digest.message) == (
        "InvalidRequest",
        "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
    )
    assert error_of(s3.get_object_retention, Bucket="strict", Key="k").code == "NoSuchKey"
    s3.put_object(Bucket="strict", Key="k", Body=b"x")
    none = error_of(s3.get_object_retention, Bucket="strict", Key="k")
    assert (none.code, none.status) == ("NoSuchObjectLockConfiguration", 404)


def test_locks_survive_kill_and_end_on_the_server_clock(tmp_path: Path) -> None:
    server = durable_server(tmp_path).start()
    try:
        s3 = s3_client(server.endpoint)
        _locked_bucket(s3, "wal")
        s3.put_bucket_lifecycle_configuration(
            Bucket="wal",
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "old",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                    }
                ]
            },
        )
        locked = s3.put_object(
            Bucket="wal",
            Key="k",
            Body=b"old",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=_in(3 * DAY),
        )["VersionId"]
        free = s3.put_object(Bucket="wal", Key="f", Body=b"old")["VersionId"]
        s3.put_object(Bucket="wal", Key="k", Body=b"new")
        s3.put_object(Bucket="wal", Key="f", Body=b"new")
        server.kill()
        server = durable_server(tmp_path).start()
        s3 = s3_client(server.endpoint)
        assert error_of(s3.delete_object, Bucket="wal", Key="k", VersionId=locked).message == LOCKED
        # two days on: lifecycle removes the unlocked noncurrent version, not the locked one
        server.advance(2 * DAY + 60)
        wait_for(
            lambda: free not in _version_ids(s3, "f"),
            timeout=15,
            what="the unlocked noncurrent version expired",
        )
        assert locked in _version_ids(s3, "k")
        assert error_of(s3.delete_object, Bucket="wal", Key="k", VersionId=locked).message == LOCKED
        # past retain-until: the version is an ordinary one again
        server.advance(DAY)
        wait_for(
            lambda: locked not in _version_ids(s3, "k"), timeout=15, what="the expired lock's version gone"
        )
    finally:
        server.stop()


def _version_ids(s3: Any, key: str) -> list[str]:
    listed = s3.list_object_versions(Bucket="wal", Prefix=key).get("Versions", [])
    return [v["VersionId"] for v in listed if v["Key"] == key]
