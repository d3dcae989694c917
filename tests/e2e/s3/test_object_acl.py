"""Object ACLs with `--auth strict`: kept on buckets whose ownership allows ACLs (x-amz-acl,
x-amz-grant-*, PutObjectAcl canned or as a document), shown by GetObjectAcl, and obeyed when
another account reads; refused where the bucket enforces bucket-owner ownership."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.support.s3 import error_of, s3_client
from tests.e2e.support.server import Server, server_fixture

OWNER, OTHER = "111111111111", "222222222222"
strict_server = server_fixture(
    "s3acl",
    f"--durability fast --limits off --test-mode on --auth strict --credentials {OWNER}:test,{OTHER}:test",
)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def clients(strict_server: Server) -> tuple[Any, Any]:
    strict_server.reset()
    return s3_client(strict_server.endpoint, access_key=OWNER), s3_client(
        strict_server.endpoint, access_key=OTHER
    )


def acl_bucket(s3: Any, name: str, ownership: str = "ObjectWriter") -> None:
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    s3.delete_public_access_block(Bucket=name)


def canonical(s3: Any) -> str:
    return str(s3.list_buckets()["Owner"]["ID"])


def test_grants_kept_shown_and_obeyed(clients: tuple[Any, Any], strict_server: Server) -> None:
    owner, other = clients
    acl_bucket(owner, "shared")
    other_id = canonical(other)
    owner.put_object(Bucket="shared", Key="granted", Body=b"g", GrantRead=f'id="{other_id}"')
    owner.put_object(Bucket="shared", Key="private", Body=b"p")
    listed = owner.get_object_acl(Bucket="shared", Key="granted")["Grants"]
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in listed] == [(other_id, "READ")]
    assert other.get_object(Bucket="shared", Key="granted")["Body"].read() == b"g"
    denied = error_of(other.get_object, Bucket="shared", Key="private")
    assert (denied.code, denied.status) == ("AccessDenied", 403)
    # READ does not cover the ACL itself
    assert error_of(other.get_object_acl, Bucket="shared", Key="granted").code == "AccessDenied"

    # PutObjectAcl with a document: the other account may now read the ACL too
    owner_id = canonical(owner)
    owner.put_object_acl(
        Bucket="shared",
        Key="private",
        AccessControlPolicy={
            "Owner": {"ID": owner_id},
            "Grants": [
                {"Grantee": {"Type": "CanonicalUser", "ID": owner_id}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"Type": "CanonicalUser", "ID": other_id}, "Permission": "READ_ACP"},
            ],
        },
    )
    grants = other.get_object_acl(Bucket="shared", Key="private")["Grants"]
    assert {g["Permission"] for g in grants} == {"FULL_CONTROL", "READ_ACP"}
    assert error_of(other.get_object, Bucket="shared", Key="private").code == "AccessDenied"

    # canned public-read: anyone, even unsigned, reads it; private takes it back
    owner.put_object_acl(Bucket="shared", Key="private", ACL="public-read")
    url = f"{strict_server.endpoint}/shared/private"
    assert httpx.get(url).content == b"p"
    grants = owner.get_object_acl(Bucket="shared", Key="private")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    owner.put_object_acl(Bucket="shared", Key="private", ACL="private")
    assert httpx.get(url).status_code == 403
    assert [g["Permission"] for g in owner.get_object_acl(Bucket="shared", Key="private")["Grants"]] == [
        "FULL_CONTROL"
    ]


def test_x_amz_acl_on_put_and_ownership(clients: tuple[Any, Any], strict_server: Server) -> None:
    owner, other = clients
    acl_bucket(owner, "preferred", "BucketOwnerPreferred")
    owner.put_bucket_acl(
        Bucket="preferred", GrantWrite=f'id="{canonical(other)}"', GrantFullControl=f'id="{canonical(owner)}"'
    )
    # the writer hands the object over with bucket-owner-full-control
    other.put_object(Bucket="preferred", Key="given", Body=b"x", ACL="bucket-owner-full-control")
    assert owner.get_object_acl(Bucket="preferred", Key="given")["Owner"]["ID"] == canonical(owner)
    # without it the writer keeps it, and may read its own object
    other.put_object(Bucket="preferred", Key="kept", Body=b"y", ACL="public-read")
    assert owner.get_object_acl(Bucket="preferred", Key="kept")["Owner"]["ID"] == canonical(other)
    assert other.get_object(Bucket="preferred", Key="kept")["Body"].read() == b"y"
    assert httpx.get(f"{strict_server.endpoint}/preferred/kept").content == b"y"


def test_block_public_acls_and_enforced_ownership(clients: tuple[Any, Any]) -> None:
    owner, _ = clients
    owner.create_bucket(Bucket="blocked", ObjectOwnership="ObjectWriter")  # Block Public Access stays on
    blocked = error_of(owner.put_object, Bucket="blocked", Key="k", Body=b"", ACL="public-read")
    assert (blocked.code, blocked.status) == ("AccessDenied", 403)

    owner.create_bucket(Bucket="enforced")
    owner.put_object(Bucket="enforced", Key="k", Body=b"")
    for call in (
        lambda: owner.put_object(Bucket="enforced", Key="k2", Body=b"", ACL="public-read"),
        lambda: owner.put_object_acl(Bucket="enforced", Key="k", GrantRead='id="abc"'),
    ):
        refused = error_of(call)
        assert (refused.code, refused.status) == ("AccessControlListNotSupported", 400)
        assert refused.message == "The bucket does not allow ACLs"
    # the owner's own full control is always accepted
    owner.put_object_acl(Bucket="enforced", Key="k", ACL="private")
    assert len(owner.get_object_acl(Bucket="enforced", Key="k")["Grants"]) == 1


def test_multipart_upload_keeps_its_acl(clients: tuple[Any, Any]) -> None:
    owner, other = clients
    acl_bucket(owner, "mpu-acl")
    upload = owner.create_multipart_upload(Bucket="mpu-acl", Key="m", GrantRead=f'id="{canonical(other)}"')[
        "UploadId"
    ]
    etag = owner.upload_part(Bucket="mpu-acl", Key="m", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    owner.complete_multipart_upload(
        Bucket="mpu-acl",
        Key="m",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert other.get_object(Bucket="mpu-acl", Key="m")["Body"].read() == b"m"
