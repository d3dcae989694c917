"""REST-XML by hand: S3's documents and refusals, pinned byte for byte where S3's form matters."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.handlers import parse_get_bucket_location
from botocore.parsers import create_parser

from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.protocol.rest_xml import codec as rest_xml
from headwater.protocol.rest_xml.codec import (
    S3_XMLNS,
    parse_request,
    payload_member,
    request_payload,
    response_payload,
    serialize_error,
    serialize_response,
)
from headwater.protocol.rest_xml.s3_routing import S3Target

DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
WHEN = dt.datetime(2009, 10, 12, 17, 50, 30, 120000, tzinfo=dt.UTC)


def op(name: str) -> Any:
    return operation_model("s3", name)


def parse(
    name: str,
    key: str | None = "k",
    query: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> dict[str, Any]:
    return parse_request(op(name), S3Target(name, "b", key), query or [], headers or {}, body)


def refused(name: str, **kwargs: Any) -> AwsError:
    with pytest.raises(AwsError) as caught:
        parse(name, **kwargs)
    return caught.value


# --- errors --------------------------------------------------------------------------------------


def test_error_document() -> None:
    body = serialize_error("NoSuchKey", "The specified key does not exist.", "REQ1", "HOST1", {"Key": "a&b"})
    assert body == (
        DECL + b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        b"<Key>a&amp;b</Key><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>"
    )
    headers = HeadersDict({"x-amz-request-id": "REQ1", "x-amz-id-2": "HOST1"})
    parsed = create_parser("rest-xml").parse({"status_code": 404, "headers": headers, "body": body}, None)
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "a&b",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "REQ1"


def test_error_fields_keep_their_order() -> None:
    fields = {"ArgumentName": "max-keys", "ArgumentValue": "<x>"}
    body = serialize_error("InvalidArgument", "m", "r", "h", fields)
    assert (
        b"</Message><ArgumentName>max-keys</ArgumentName><ArgumentValue>&lt;x&gt;</ArgumentValue><RequestId>"
        in body
    )


# --- requests ------------------------------------------------------------------------------------


def test_absent_members_are_absent() -> None:
    assert parse("ListObjectsV2", key=None, query=[("list-type", "2")]) == {"Bucket": "b"}
    assert parse("GetObject", headers={"host": "x", "user-agent": "y"}) == {"Bucket": "b", "Key": "k"}


def test_typed_headers_and_metadata() -> None:
    params = parse(
        "PutObject",
        headers={
            "content-length": "12",
            "x-amz-meta-color": "blue",
            "X-Amz-Meta-Mixed-Case": "v",
            "x-amz-server-side-encryption-bucket-key-enabled": "TRUE",
            "expires": "Wed, 21 Oct 2015 07:28:00 GMT",
            "x-amz-object-lock-retain-until-date": "2030-01-02T03:04:05.000Z",
            "x-amz-checksum-crc32": "AAAAAA==",
        },
    )
    assert params == {
        "Bucket": "b",
        "Key": "k",
        "ContentLength": 12,
        "Metadata": {"color": "blue", "mixed-case": "v"},
        "BucketKeyEnabled": True,
        "Expires": dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC),
        "ObjectLockRetainUntilDate": dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "ChecksumCRC32": "AAAAAA==",
    }


def test_header_lists() -> None:
    params = parse(
        "GetObjectAttributes", headers={"x-amz-object-attributes": 'ETag, Checksum,"Object,Parts"'}
    )
    assert params["ObjectAttributes"] == ["ETag", "Checksum", "Object,Parts"]


def test_conditional_dates_that_do_not_parse_are_ignored() -> None:
    params = parse(
        "GetObject",
        headers={"if-modified-since": "yesterday", "if-unmodified-since": "Sun, 06 Nov 1994 08:49:37 GMT"},
    )
    assert params == {
        "Bucket": "b",
        "Key": "k",
        "IfUnmodifiedSince": dt.datetime(1994, 11, 6, 8, 49, 37, tzinfo=dt.UTC),
    }


def test_an_expires_that_is_no_date_is_kept_verbatim() -> None:
    assert parse("PutObject", headers={"expires": "0"})["Expires"] == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert parse("PutObject", headers={"expires": "never"})["Expires"] == "never"


@pytest.mark.parametrize(
    ("name", "kwargs", "argument", "message"),
    [
        (
            "CompleteMultipartUpload",
            {"headers": {"x-amz-mp-object-size": "big"}},
            "x-amz-mp-object-size",
            "The x-amz-mp-object-size header must be an integer",
        ),
        (
            "PutObject",
            {"headers": {"x-amz-object-lock-retain-until-date": "soon"}},
            "x-amz-object-lock-retain-until-date",
            "The x-amz-object-lock-retain-until-date value is not a valid date",
        ),
        (
            "PutObject",
            {"headers": {"x-amz-server-side-encryption-bucket-key-enabled": "yes"}},
            "x-amz-server-side-encryption-bucket-key-enabled",
            "The x-amz-server-side-encryption-bucket-key-enabled value must be true or false",
        ),
        (
            "ListObjectsV2",
            {"key": None, "query": [("max-keys", "ten")]},
            "max-keys",
            "Provided max-keys not an integer or within integer range",
        ),
        (
            "UploadPart",
            {"query": [("partNumber", "one"), ("uploadId", "u")]},
            "partNumber",
            "Part number must be an integer between 1 and 10000, inclusive",
        ),
    ],
)
def test_values_of_the_wrong_type_are_invalid_arguments(
    name: str, kwargs: dict[str, Any], argument: str, message: str
) -> None:
    error = refused(name, **kwargs)
    assert (error.code, error.status, error.message) == ("InvalidArgument", 400, message)
    assert error.details["ArgumentName"] == argument


def test_query_members() -> None:
    query = [
        ("list-type", "2"),
        ("prefix", "a b"),
        ("max-keys", "5"),
        ("fetch-owner", "true"),
        ("prefix", "ignored"),
    ]
    assert parse("ListObjectsV2", key=None, query=query) == {
        "Bucket": "b",
        "Prefix": "a b",
        "MaxKeys": 5,
        "FetchOwner": True,
    }
    expires = parse("GetObject", query=[("response-expires", "Thu, 01 Dec 1994 16:00:00 GMT")])[
        "ResponseExpires"
    ]
    assert expires == dt.datetime(1994, 12, 1, 16, tzinfo=dt.UTC)


def test_xml_payload_with_or_without_namespace() -> None:
    for ns in (f' xmlns="{S3_XMLNS}"', ""):
        body = (
            f"<Delete{ns}><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object>"
            "<Object><Key>c</Key><VersionId>v</VersionId></Object><Unknown>x</Unknown></Delete>"
        ).encode()
        params = parse("DeleteObjects", key=None, body=body)
        assert params["Delete"] == {
            "Quiet": True,
            "Objects": [{"Key": "a&b"}, {"Key": "c", "VersionId": "v"}],
        }


def test_complete_multipart_upload_body() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b'<Part><PartNumber>1</PartNumber><ETag>"e1"</ETag></Part>'
        b"<Part><ETag>&quot;e2&quot;</ETag><PartNumber> 2 </PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
        b"</CompleteMultipartUpload>"
    )
    params = parse("CompleteMultipartUpload", query=[("uploadId", "u")], body=body)
    assert params["UploadId"] == "u"
    assert params["MultipartUpload"] == {
        "Parts": [
            {"PartNumber": 1, "ETag": '"e1"'},
            {"ETag": '"e2"', "PartNumber": 2, "ChecksumCRC32": "AAAAAA=="},
        ]
    }


def test_an_attribute_member() -> None:
    body = (
        b'<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>'
        b"<Permission>READ</Permission></Grant></AccessControlList><Owner><ID>o</ID></Owner></AccessControlPolicy>"
    )
    policy = parse("PutBucketAcl", key=None, body=body)["AccessControlPolicy"]
    assert policy["Grants"] == [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ",
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"<VersioningConfiguration><Status>Enabled</Status>",  # not well-formed
        b"<Versioning><Status>Enabled</Status></Versioning>",  # not the root the model names
        b"not xml",
        b'<!DOCTYPE x [<!ENTITY e "boom">]><VersioningConfiguration><Status>&e;</Status></VersioningConfiguration>',
    ],
)
def test_malformed_xml(body: bytes) -> None:
    error = refused("PutBucketVersioning", key=None, body=body)
    assert (error.code, error.status) == ("MalformedXML", 400)
    assert error.message == (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )


@pytest.mark.parametrize(
    "xml",
    [
        b"<LifecycleConfiguration><Rule><Expiration><Days>x</Days></Expiration></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Expiration><Date>when</Date></Expiration></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Expiration><ExpiredObjectDeleteMarker>1</ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>",
    ],
)
def test_values_that_do_not_convert_are_malformed_xml(xml: bytes) -> None:
    assert refused("PutBucketLifecycleConfiguration", key=None, body=xml).code == "MalformedXML"


def test_lifecycle_dates_and_numbers() -> None:
    xml = (
        b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
        b"<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>"
        b"<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>"
        b"</Rule></LifecycleConfiguration>"
    )
    rules = parse("PutBucketLifecycleConfiguration", key=None, body=xml)["LifecycleConfiguration"]["Rules"]
    assert rules == [
        {
            "ID": "r",
            "Filter": {"Prefix": "logs/"},
            "Status": "Enabled",
            "Expiration": {"Date": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 3},
        }
    ]


def test_an_empty_body_leaves_the_payload_out() -> None:
    assert parse("CreateBucket", key=None, body=b"") == {"Bucket": "b"}
    assert parse("CreateBucket", key=None, body=b"  \n") == {"Bucket": "b"}


def test_payload_members() -> None:
    assert payload_member(op("PutObject")) == request_payload(op("PutObject")) == ("Body", True)
    assert payload_member(op("UploadPart")) == ("Body", True)
    assert payload_member(op("PutBucketTagging")) == ("Tagging", False)
    assert payload_member(op("PutBucketPolicy")) == ("Policy", False)
    assert request_payload(op("GetObject")) is None
    assert payload_member(op("GetObject")) == response_payload(op("GetObject")) == ("Body", True)
    assert payload_member(op("SelectObjectContent")) == ("Payload", True)
    assert payload_member(op("GetBucketPolicy")) == ("Policy", False)
    assert payload_member(op("CopyObject")) == ("CopyObjectResult", False)
    assert payload_member(op("ListObjectsV2")) is None
    assert response_payload(op("PutObject")) is None
    assert (
        parse("PutBucketPolicy", key=None, body=b'{"Version": "2012-10-17"}')["Policy"]
        == '{"Version": "2012-10-17"}'
    )
    assert "Body" not in parse("PutObject", body=b"data")


# --- responses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("DeleteObject", 204),
        ("DeleteBucket", 204),
        ("AbortMultipartUpload", 204),
        ("DeleteBucketCors", 204),
        ("PutObject", 200),
        ("DeleteObjects", 200),
    ],
)
def test_statuses(name: str, status: int) -> None:
    assert serialize_response(op(name), {})[0] == status


def test_empty_outputs_have_no_body() -> None:
    assert serialize_response(op("DeleteObject"), {}) == (204, [], b"")
    assert serialize_response(op("PutObject"), {"ETag": '"e"'}) == (200, [("ETag", '"e"')], b"")
    assert serialize_response(op("CreateBucket"), {"Location": "/b"}) == (200, [("Location", "/b")], b"")


@pytest.mark.parametrize(
    ("name", "root"),
    [
        ("ListBuckets", "ListAllMyBucketsResult"),
        ("ListObjects", "ListBucketResult"),
        ("ListObjectsV2", "ListBucketResult"),
        ("ListObjectVersions", "ListVersionsResult"),
        ("CreateMultipartUpload", "InitiateMultipartUploadResult"),
        ("CompleteMultipartUpload", "CompleteMultipartUploadResult"),
        ("ListParts", "ListPartsResult"),
        ("ListMultipartUploads", "ListMultipartUploadsResult"),
        ("DeleteObjects", "DeleteResult"),
        ("CopyObject", "CopyObjectResult"),
        ("UploadPartCopy", "CopyPartResult"),
        ("GetBucketVersioning", "VersioningConfiguration"),
        ("GetBucketTagging", "Tagging"),
        ("GetObjectTagging", "Tagging"),
        ("GetBucketCors", "CORSConfiguration"),
        ("GetBucketLifecycleConfiguration", "LifecycleConfiguration"),
        ("GetBucketEncryption", "ServerSideEncryptionConfiguration"),
        ("GetBucketNotificationConfiguration", "NotificationConfiguration"),
        ("GetBucketAcl", "AccessControlPolicy"),
        ("GetObjectLegalHold", "LegalHold"),
        ("GetObjectRetention", "Retention"),
        ("GetPublicAccessBlock", "PublicAccessBlockConfiguration"),
    ],
)
def test_result_roots(name: str, root: str) -> None:
    output = op(name).output_shape
    payload = output.serialization.get("payload")
    result = {payload: {}} if payload else {}
    status, headers, body = serialize_response(op(name), result)
    assert body == DECL + f'<{root} xmlns="{S3_XMLNS}"></{root}>'.encode()
    assert ("Content-Type", "application/xml") in headers


def test_list_objects_document() -> None:
    result = {
        "Name": "b",
        "Prefix": "",
        "KeyCount": 1,
        "MaxKeys": 1000,
        "IsTruncated": False,
        "Contents": [
            {"Key": "a&b\r", "LastModified": WHEN, "ETag": '"abc"', "Size": 3, "StorageClass": "STANDARD"}
        ],
        "CommonPrefixes": [{"Prefix": "d/"}, {"Prefix": "e/"}],
    }
    _, _, body = serialize_response(op("ListObjectsV2"), result)
    assert (
        body
        == DECL
        + (
            f'<ListBucketResult xmlns="{S3_XMLNS}"><IsTruncated>false</IsTruncated>'
            "<Contents><Key>a&amp;b&#xD;</Key><LastModified>2009-10-12T17:50:30.120Z</LastModified>"
            '<ETag>"abc"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>'
            "<Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>"
            "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>e/</Prefix></CommonPrefixes>"
            "<KeyCount>1</KeyCount></ListBucketResult>"
        ).encode()
    )


def test_object_headers() -> None:
    result = {
        "Body": io.BytesIO(b"abc"),
        "ContentLength": 3,
        "ETag": '"e"',
        "LastModified": WHEN,
        "Metadata": {"color": "blue"},
        "ContentType": "text/plain",
        "DeleteMarker": False,
        "Expires": "not a date",
        "VersionId": None,
    }
    status, headers, body = serialize_response(op("GetObject"), result)
    assert (status, body) == (200, None)
    assert headers == [
        ("Content-Length", "3"),
        ("ETag", '"e"'),
        ("Last-Modified", "Mon, 12 Oct 2009 17:50:30 GMT"),
        ("x-amz-meta-color", "blue"),
        ("Content-Type", "text/plain"),
        ("x-amz-delete-marker", "false"),
        ("Expires", "not a date"),
    ]


def test_epoch_seconds_and_naive_datetimes_are_utc() -> None:
    for when in (1255369830, 1255369830.12, dt.datetime(2009, 10, 12, 17, 50, 30, 120000)):
        headers = serialize_response(op("HeadObject"), {"LastModified": when})[1]
        assert headers == [("Last-Modified", "Mon, 12 Oct 2009 17:50:30 GMT")]


@pytest.mark.parametrize(
    ("region", "text"), [(None, None), ("", None), ("us-east-1", None), ("eu-west-1", "eu-west-1")]
)
def test_bucket_location(region: str | None, text: str | None) -> None:
    _, _, body = serialize_response(op("GetBucketLocation"), {"LocationConstraint": region})
    expected = (
        f'<LocationConstraint xmlns="{S3_XMLNS}"/>'
        if text is None
        else f'<LocationConstraint xmlns="{S3_XMLNS}">{text}</LocationConstraint>'
    )
    assert body == DECL + expected.encode()
    parsed: dict[str, Any] = {}

    class Response:
        raw = True
        content = body

    parse_get_bucket_location(parsed, Response())
    assert parsed["LocationConstraint"] == text


def test_policy_is_the_raw_body() -> None:
    assert serialize_response(op("GetBucketPolicy"), {"Policy": '{"a": 1}'}) == (200, [], b'{"a": 1}')


def test_no_operation_has_raw_payloads_both_ways() -> None:
    model = op("GetObject").service_model
    for name in model.operation_names:
        request, response = request_payload(op(name)), response_payload(op(name))
        assert not (request and request[1] and response and response[1]), name


def test_result_roots_table_names_real_operations() -> None:
    names = set(op("ListBuckets").service_model.operation_names)
    assert set(rest_xml.RESULT_ROOTS) <= names
