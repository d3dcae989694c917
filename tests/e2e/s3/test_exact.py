"""S3 where small texts and codes must be AWS's own: bucket ARNs and namespaces, location
constraints on regional endpoints, tag sets, version restores by copy, composite checksums,
presigned metadata, ranges with absurd numbers, and the refusals of malformed requests."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx

from tests.e2e.support.s3 import error_of, raw, s3_client, xml_error

ACCOUNT = "000000000000"  # the account of the default test key


def test_bucket_arn_region_and_namespace(s3: Any, endpoint: str) -> None:
    created = s3.create_bucket(Bucket="arn-bucket")
    assert created["BucketArn"] == "arn:aws:s3:::arn-bucket"
    assert s3.head_bucket(Bucket="arn-bucket")["BucketArn"] == "arn:aws:s3:::arn-bucket"
    [entry] = s3.list_buckets()["Buckets"]
    assert (entry["BucketRegion"], entry["BucketArn"]) == ("us-east-1", "arn:aws:s3:::arn-bucket")

    account = s3.list_buckets()["Owner"]["DisplayName"]
    name = f"logs-{account}-us-east-1-an"
    made = s3.create_bucket(Bucket=name, BucketNamespace="account-regional")
    assert made["BucketArn"] == f"arn:aws:s3:::{name}"
    wrong = error_of(s3.create_bucket, Bucket="plain-name-an", BucketNamespace="account-regional")
    assert (wrong.code, wrong.status) == ("InvalidBucketName", 400)
    assert wrong.message.endswith(f"-{account}-us-east-1-an")
    # the suffix is the account-regional namespace's alone
    squatter = error_of(s3.create_bucket, Bucket=f"other-{account}-us-east-1-an")
    assert squatter.code == "InvalidBucketName"


def test_head_bucket_says_xml(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="heady")
    response = raw(endpoint, "HEAD", "/heady")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"


def test_regional_endpoint_refuses_other_constraints(endpoint: str) -> None:
    eu = s3_client(endpoint, region="eu-west-1")
    for constraint in ("us-west-2", "mars-north-1"):
        refused = error_of(
            eu.create_bucket, Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": constraint}
        )
        assert (refused.code, refused.status) == ("IllegalLocationConstraintException", 400)
        assert refused.message == (
            f"The {constraint} location constraint is incompatible for the region specific endpoint this "
            "request was sent to."
        )


def test_empty_bucket_tag_set_is_no_tag_set(s3: Any) -> None:
    s3.create_bucket(Bucket="tagless")
    s3.put_bucket_tagging(Bucket="tagless", Tagging={"TagSet": []})
    missing = error_of(s3.get_bucket_tagging, Bucket="tagless")
    assert (missing.code, missing.status) == ("NoSuchTagSet", 404)


def test_copy_restores_an_old_version_onto_its_key(s3: Any) -> None:
    s3.create_bucket(Bucket="restore")
    s3.put_bucket_versioning(Bucket="restore", VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket="restore", Key="doc", Body=b"first")["VersionId"]
    latest = s3.put_object(Bucket="restore", Key="doc", Body=b"second")["VersionId"]
    for version in (old, latest):  # even the latest version may be copied onto itself by id
        copied = s3.copy_object(
            Bucket="restore", Key="doc", CopySource={"Bucket": "restore", "Key": "doc", "VersionId": version}
        )
        assert copied["CopySourceVersionId"] == version
    assert s3.get_object(Bucket="restore", Key="doc")["Body"].read() == b"second"
    s3.copy_object(
        Bucket="restore", Key="doc", CopySource={"Bucket": "restore", "Key": "doc", "VersionId": old}
    )
    assert s3.get_object(Bucket="restore", Key="doc")["Body"].read() == b"first"
    # without a version id a self-copy must still change something
    refused = error_of(
        s3.copy_object, Bucket="restore", Key="doc", CopySource={"Bucket": "restore", "Key": "doc"}
    )
    assert refused.code == "InvalidRequest"


def test_copy_of_an_archived_object(s3: Any) -> None:
    s3.create_bucket(Bucket="cold")
    s3.put_object(Bucket="cold", Key="frozen", Body=b"ice", StorageClass="GLACIER")
    refused = error_of(s3.copy_object, Bucket="cold", Key="thawed", CopySource="cold/frozen")
    assert (refused.code, refused.status) == ("InvalidObjectState", 403)
    assert refused.message == "Operation is not valid for the source object's storage class"


def test_composite_checksum_in_object_attributes(s3: Any) -> None:
    s3.create_bucket(Bucket="parts")
    upload = s3.create_multipart_upload(Bucket="parts", Key="big", ChecksumAlgorithm="SHA256")["UploadId"]
    chunks = [b"a" * 5 * 1024 * 1024, b"b" * 1024]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        sent = s3.upload_part(
            Bucket="parts",
            Key="big",
            UploadId=upload,
            PartNumber=number,
            Body=chunk,
            ChecksumAlgorithm="SHA256",
        )
        parts.append({"PartNumber": number, "ETag": sent["ETag"], "ChecksumSHA256": sent["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket="parts", Key="big", UploadId=upload, MultipartUpload={"Parts": parts})
    digests = b"".join(hashlib.sha256(chunk).digest() for chunk in chunks)
    expected = base64.b64encode(hashlib.sha256(digests).digest()).decode()
    attributes = s3.get_object_attributes(Bucket="parts", Key="big", ObjectAttributes=["Checksum"])
    assert attributes["Checksum"] == {"ChecksumSHA256": expected, "ChecksumType": "COMPOSITE"}


def test_presigned_put_query_metadata(s3: Any) -> None:
    s3.create_bucket(Bucket="signed")
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "signed", "Key": "k", "Metadata": {"colour": "blue"}}
    )
    assert "x-amz-meta-colour=blue" in url
    assert httpx.put(url, content=b"body").status_code == 200
    assert s3.head_object(Bucket="signed", Key="k")["Metadata"] == {"colour": "blue"}


def test_ranges_with_huge_numbers(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="ranged")
    s3.put_object(Bucket="ranged", Key="ten", Body=b"0123456789")
    huge = "9" * 5000
    for method in ("GET", "HEAD"):
        # a number past a 64-bit integer leaves the header unread: the whole object
        for spec in (f"bytes=0-{huge}", f"bytes={huge}-", f"bytes=-{huge}", f"bytes=2-{'0' * 4000}9"):
            response = raw(endpoint, method, "/ranged/ten", headers={"Range": spec})
            assert response.status_code in (200, 206), (spec, response.status_code)
        clipped = raw(endpoint, method, "/ranged/ten", headers={"Range": "bytes=7-9223372036854775806"})
        assert clipped.status_code == 206
        assert clipped.headers["content-range"] == "bytes 7-9/10"
        assert clipped.headers["content-length"] == "3"
    whole = raw(endpoint, "GET", "/ranged/ten", headers={"Range": f"bytes=0-{huge}"})
    assert (whole.status_code, whole.content) == (200, b"0123456789")
    leading = raw(endpoint, "GET", "/ranged/ten", headers={"Range": f"bytes=2-{'0' * 4000}9"})
    assert (leading.status_code, leading.content) == (206, b"23456789")
    past = raw(endpoint, "GET", "/ranged/ten", headers={"Range": "bytes=10-20"})
    assert past.status_code == 416


def test_list_objects_v2_start_after_with_token(s3: Any) -> None:
    s3.create_bucket(Bucket="listing")
    for key in ("a", "b", "c", "d"):
        s3.put_object(Bucket="listing", Key=key, Body=b"")
    first = s3.list_objects_v2(Bucket="listing", StartAfter="a", MaxKeys=1)
    assert first["StartAfter"] == "a"
    second = s3.list_objects_v2(
        Bucket="listing", StartAfter="a", MaxKeys=1, ContinuationToken=first["NextContinuationToken"]
    )
    assert "StartAfter" not in second and [o["Key"] for o in second["Contents"]] == ["c"]


def test_small_refusals(s3: Any, endpoint: str) -> None:
    s3.create_bucket(Bucket="refusals", ObjectLockEnabledForBucket=True)
    empty = raw(endpoint, "PUT", "/refusals", query={"object-lock": ""})
    assert (empty.status_code, xml_error(empty.content)["Code"]) == (400, "MissingRequestBodyError")
    assert xml_error(empty.content)["Message"] == "Request Body is empty"

    system = error_of(s3.put_object, Bucket="refusals", Key="k", Body=b"", Tagging="aws:team=x")
    assert (system.code, system.message) == ("InvalidTag", "Your TagKey cannot be prefixed with aws:")

    unparsable = error_of(
        s3.put_bucket_notification_configuration,
        Bucket="refusals",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (unparsable.code, unparsable.message) == ("InvalidArgument", "The ARN could not be parsed")

    lifecycle = (
        b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
        b"<NoncurrentVersionExpiration></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>"
    )
    md5 = base64.b64encode(hashlib.md5(lifecycle).digest()).decode()
    malformed = raw(
        endpoint, "PUT", "/refusals", query={"lifecycle": ""}, body=lifecycle, headers={"Content-MD5": md5}
    )
    assert (malformed.status_code, xml_error(malformed.content)["Code"]) == (400, "MalformedXML")

    upload = s3.create_multipart_upload(Bucket="refusals", Key="mp")["UploadId"]
    for name in ("max-parts", "part-number-marker"):
        response = raw(endpoint, "GET", "/refusals/mp", query={"uploadId": upload, name: "2147483648"})
        assert (response.status_code, xml_error(response.content)["Code"]) == (400, "InvalidArgument"), name
    fine = raw(endpoint, "GET", "/refusals/mp", query={"uploadId": upload, "max-parts": "2147483647"})
    assert fine.status_code == 200

    s3.put_object(Bucket="refusals", Key="obj", Body=b"x")
    attributes = raw(
        endpoint, "GET", "/refusals/obj", query={"attributes": ""}, headers={"x-amz-object-attributes": ""}
    )
    assert (attributes.status_code, xml_error(attributes.content)["Code"]) == (400, "InvalidRequest")
