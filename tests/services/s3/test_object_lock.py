"""Object Lock in the core: retention and legal holds on writes, what they forbid, the server clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

LOCKED = ("AccessDenied", "Access Denied because object protected by object lock.", 403)
MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="  # of b""


def _until(core: Any, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(core.now_ms() / 1000 + seconds, dt.UTC)


@pytest.fixture
def locked(make_bucket: Any) -> str:
    make_bucket("locked", "Enabled", object_lock={"ObjectLockEnabled": "Enabled"})
    return "locked"


def _put(call: Any, body: Any, bucket: str, key: str, **lock: Any) -> str:
    result = call("PutObject", Bucket=bucket, Key=key, Body=body(b""), ContentMD5=MD5, **lock)
    version_id: str = result["VersionId"]
    return version_id


def test_compliance_blocks_deletes_until_the_clock_passes(
    call: Any, body: Any, core: Any, clock: Any, locked: str
) -> None:
    version = _put(
        call, body, locked, "k", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=_until(core, 60)
    )
    error = call.error(
        "DeleteObject", Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True
    )
    assert (error.code, error.message, error.status) == LOCKED
    head = call("HeadObject", Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    shorter = call.error(
        "PutObjectRetention",
        Bucket=locked,
        Key="k",
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _until(core, 30)},
        BypassGovernanceRetention=True,
    )
    assert (shorter.code, shorter.message, shorter.status) == LOCKED
    to_governance = call.error(
        "PutObjectRetention",
        Bucket=locked,
        Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _until(core, 90)},
    )
    assert to_governance.code == "AccessDenied"
    call(
        "PutObjectRetention",
        Bucket=locked,
        Key="k",
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _until(core, 120)},
    )
    # a delete without a version id only adds a marker
    assert call("DeleteObject", Bucket=locked, Key="k")["DeleteMarker"] is True
    clock.advance(121)
    assert call("DeleteObject", Bucket=locked, Key="k", VersionId=version)["VersionId"] == version


def test_governance_yields_to_the_bypass(call: Any, body: Any, core: Any, locked: str) -> None:
    version = _put(
        call, body, locked, "g", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_until(core, 60)
    )
    assert call.error("DeleteObject", Bucket=locked, Key="g", VersionId=version).code == "AccessDenied"
    assert call.error("PutObjectRetention", Bucket=locked, Key="g", Retention={}).code == "AccessDenied"
    call("PutObjectRetention", Bucket=locked, Key="g", Retention={}, BypassGovernanceRetention=True)
    assert call.error("GetObjectRetention", Bucket=locked, Key="g").code == "NoSuchObjectLockConfiguration"
    call(
        "PutObjectRetention",
        Bucket=locked,
        Key="g",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _until(core, 60)},
    )
    call("DeleteObject", Bucket=locked, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert call("ListObjectVersions", Bucket=locked).get("Versions") is None


def test_legal_hold_blocks_until_lifted(call: Any, body: Any, locked: str) -> None:
    version = _put(call, body, locked, "h", ObjectLockLegalHoldStatus="ON")
    assert call("GetObjectLegalHold", Bucket=locked, Key="h")["LegalHold"] == {"Status": "ON"}
    result = call("DeleteObjects", Bucket=locked, Delete={"Objects": [{"Key": "h", "VersionId": version}]})
    assert result["Errors"] == [
        {"Key": "h", "VersionId": version, "Code": "AccessDenied", "Message": LOCKED[1]}
    ]
    call("PutObjectLegalHold", Bucket=locked, Key="h", LegalHold={"Status": "OFF"})
    assert call("HeadObject", Bucket=locked, Key="h")["ObjectLockLegalHoldStatus"] == "OFF"
    call("DeleteObject", Bucket=locked, Key="h", VersionId=version)


def test_default_retention_and_write_checks(call: Any, body: Any, core: Any, make_bucket: Any) -> None:
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    make_bucket("dflt", "Enabled", object_lock={"ObjectLockEnabled": "Enabled", "Rule": rule})
    no_digest = call.error("PutObject", Bucket="dflt", Key="k", Body=body(b"x"))
    assert (no_digest.code, no_digest.message) == (
        "InvalidRequest",
        "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
    )
    _put(call, body, "dflt", "k")
    retention = call("GetObjectRetention", Bucket="dflt", Key="k")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    expected = dt.datetime.fromtimestamp(core.now_ms() / 1000 + 86400, dt.UTC)
    assert abs((retention["RetainUntilDate"] - expected).total_seconds()) < 5
    past = call.error(
        "PutObject",
        Bucket="dflt",
        Key="p",
        Body=body(b""),
        ContentMD5=MD5,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=_until(core, -1),
    )
    assert (past.code, past.message) == ("InvalidArgument", "The retain until date must be in the future!")
    half = call.error(
        "PutObject", Bucket="dflt", Key="p", Body=body(b""), ContentMD5=MD5, ObjectLockMode="COMPLIANCE"
    )
    assert (
        half.message == "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
    )
    worm = call.error(
        "PutObject",
        Bucket="dflt",
        Key="p",
        Body=body(b""),
        ContentMD5=MD5,
        ObjectLockMode="FOREVER",
        ObjectLockRetainUntilDate=_until(core, 9),
    )
    assert worm.message == "Unknown wormMode directive."


def test_plain_bucket_refuses_lock_operations(call: Any, body: Any, make_bucket: Any) -> None:
    bucket = make_bucket("plain").name
    call("PutObject", Bucket=bucket, Key="k", Body=body(b"x"))
    for operation in ("GetObjectRetention", "GetObjectLegalHold"):
        error = call.error(operation, Bucket=bucket, Key="k")
        assert (error.code, error.message) == (
            "InvalidRequest",
            "Bucket is missing Object Lock Configuration",
        )
