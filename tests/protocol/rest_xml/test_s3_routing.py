"""S3 routing: bucket and key from the Host and the raw path, the operation from method and query."""

from __future__ import annotations

import pytest

from headwater.protocol.errors import AwsError
from headwater.protocol.models import service_model
from headwater.protocol.rest_xml.s3_routing import S3Target, bucket_from_host, routed_operations, s3_target

LOCAL = "localhost:4566"


def target(
    method: str, path: str, query: str = "", headers: dict[str, str] | None = None, host: str = LOCAL
) -> S3Target:
    pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
    return s3_target(method, host, path, pairs, headers or {})  # type: ignore[arg-type]


def refusal(method: str, path: str, query: str = "", headers: dict[str, str] | None = None) -> AwsError:
    with pytest.raises(AwsError) as caught:
        target(method, path, query, headers)
    return caught.value


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("mybucket.localhost:4566", "mybucket"),
        ("mybucket.localhost", "mybucket"),
        ("mybucket.s3.localhost", "mybucket"),
        ("mybucket.s3.amazonaws.com", "mybucket"),
        ("mybucket.s3.us-west-2.amazonaws.com", "mybucket"),
        ("mybucket.s3-us-west-2.amazonaws.com", "mybucket"),
        ("mybucket.s3.dualstack.eu-west-1.amazonaws.com", "mybucket"),
        ("mybucket.s3.localhost.localstack.cloud:4566", "mybucket"),
        ("mybucket.localhost.localstack.cloud:4566", "mybucket"),
        ("my.dotted.bucket.s3.amazonaws.com", "my.dotted.bucket"),
        ("my.s3.bucket.s3.eu-west-1.amazonaws.com", "my.s3.bucket"),
        ("MyBucket.S3.AmazonAWS.com", "mybucket"),
        ("localhost:4566", None),
        ("localhost", None),
        ("s3.localhost:4566", None),
        ("127.0.0.1:4566", None),
        ("10.1.2.3", None),
        ("s3.amazonaws.com", None),
        ("s3.us-east-1.amazonaws.com", None),
        ("[::1]:4566", None),
        ("[::1]", None),
        ("localhost.localstack.cloud", None),
        ("s3.localhost.localstack.cloud:4566", None),
        ("headwater:4566", None),
        ("", None),
    ],
)
def test_bucket_from_host(host: str, bucket: str | None) -> None:
    assert bucket_from_host(host) == bucket


# --- bucket and key ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/b/plain.txt", "plain.txt"),
        ("/b/a%2Fb%20c", "a/b c"),  # %2F is split after: it stays in the key
        ("/b/dir/sub/file", "dir/sub/file"),
        ("/b/a+b", "a+b"),  # "+" is not a space in a path
        ("/b/a%2Bb", "a+b"),
        ("/b//lead//double/", "/lead//double/"),
        ("/b/dir/", "dir/"),
        ("/b/%C3%A9t%C3%A9/%F0%9F%98%80", "été/😀"),
        ("/b/%25", "%"),
        ("/b/q%3Fx%23y", "q?x#y"),
    ],
)
def test_path_style_keys(path: str, key: str) -> None:
    assert target("GET", path) == S3Target("GetObject", "b", key)


@pytest.mark.parametrize(
    ("path", "key"),
    [("/a%2Fb", "a/b"), ("/dir/", "dir/"), ("//x", "/x"), ("/b/k", "b/k"), ("/%E2%82%AC+", "€+")],
)
def test_virtual_hosted_keys(path: str, key: str) -> None:
    assert target("GET", path, host="bkt.s3.localhost.localstack.cloud:4566") == S3Target(
        "GetObject", "bkt", key
    )


@pytest.mark.parametrize("path", ["/", ""])
def test_virtual_hosted_bucket(path: str) -> None:
    assert target("GET", path, host="bkt.localhost:4566") == S3Target("ListObjects", "bkt", None)


@pytest.mark.parametrize("path", ["/b", "/b/"])
def test_path_style_bucket(path: str) -> None:
    assert target("GET", path) == S3Target("ListObjects", "b", None)


def test_a_query_string_in_the_raw_path_is_not_the_key() -> None:
    assert target("GET", "/b/k?uploads") == S3Target("GetObject", "b", "k")


def test_a_key_that_is_not_utf8_is_an_invalid_uri() -> None:
    error = refusal("GET", "/b/%FF")
    assert (error.code, error.status) == ("InvalidURI", 400)


# --- operations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/", "max-buckets=10&prefix=a", {}, "ListBuckets"),
        ("PUT", "/b", "", {}, "CreateBucket"),
        ("HEAD", "/b", "", {}, "HeadBucket"),
        ("DELETE", "/b", "", {}, "DeleteBucket"),
        ("GET", "/b", "", {}, "ListObjects"),
        ("GET", "/b", "list-type=2", {}, "ListObjectsV2"),
        ("GET", "/b", "list-type=2&prefix=a&delimiter=%2F", {}, "ListObjectsV2"),
        ("GET", "/b", "list-type=1", {}, "ListObjects"),
        ("GET", "/b", "list-type=2&list-type=1", {}, "ListObjectsV2"),  # the first one counts
        ("GET", "/b", "versions", {}, "ListObjectVersions"),
        ("GET", "/b", "uploads", {}, "ListMultipartUploads"),
        ("GET", "/b", "location", {}, "GetBucketLocation"),
        ("GET", "/b", "versioning", {}, "GetBucketVersioning"),
        ("GET", "/b", "versioning=1", {}, "GetBucketVersioning"),  # a selector's value is ignored
        ("PUT", "/b", "versioning", {}, "PutBucketVersioning"),
        ("GET", "/b", "Versioning", {}, "ListObjects"),  # case-sensitive
        ("GET", "/b", "session", {}, "ListObjects"),  # S3 Express only: ignored
        ("GET", "/b", "x-id=ListObjects&foo=bar", {}, "ListObjects"),
        ("POST", "/b", "delete", {}, "DeleteObjects"),
        ("PUT", "/b", "lifecycle", {}, "PutBucketLifecycleConfiguration"),  # not the deprecated one
        ("GET", "/b", "lifecycle", {}, "GetBucketLifecycleConfiguration"),
        ("GET", "/b", "notification", {}, "GetBucketNotificationConfiguration"),
        ("GET", "/b", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("GET", "/b", "analytics&id=x", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/b", "metrics&continuation-token=t", {}, "ListBucketMetricsConfigurations"),
        ("DELETE", "/b", "inventory&id=x", {}, "DeleteBucketInventoryConfiguration"),
        ("GET", "/b", "tagging", {}, "GetBucketTagging"),
        ("DELETE", "/b", "cors", {}, "DeleteBucketCors"),
        ("POST", "/b", "", {"content-type": "multipart/form-data; boundary=xyz"}, "PostObject"),
        ("POST", "/b", "", {"content-type": "Multipart/Form-Data;boundary=x"}, "PostObject"),
        ("OPTIONS", "/b", "", {}, "OptionsObject"),
        ("OPTIONS", "/b/k", "", {}, "OptionsObject"),
        ("GET", "/b/k", "", {}, "GetObject"),
        ("GET", "/b/k", "x-id=GetObject&versionId=v&partNumber=2", {}, "GetObject"),
        ("HEAD", "/b/k", "", {}, "HeadObject"),
        ("PUT", "/b/k", "", {}, "PutObject"),
        ("PUT", "/b/k", "", {"x-amz-copy-source": "/src/k"}, "CopyObject"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {"x-amz-copy-source": "src/k"}, "UploadPartCopy"),
        ("PUT", "/b/k", "partNumber=1", {}, "PutObject"),  # without uploadId it is no part
        ("GET", "/b/k", "uploadId=u", {}, "ListParts"),
        ("POST", "/b/k", "uploadId=u", {}, "CompleteMultipartUpload"),
        ("DELETE", "/b/k", "uploadId=u", {}, "AbortMultipartUpload"),
        ("DELETE", "/b/k", "", {}, "DeleteObject"),
        ("DELETE", "/b/k", "versionId=v", {}, "DeleteObject"),
        ("POST", "/b/k", "uploads", {}, "CreateMultipartUpload"),
        ("GET", "/b/k", "tagging", {}, "GetObjectTagging"),
        ("PUT", "/b/k", "tagging", {}, "PutObjectTagging"),
        ("DELETE", "/b/k", "tagging", {}, "DeleteObjectTagging"),
        ("GET", "/b/k", "acl", {}, "GetObjectAcl"),
        ("GET", "/b/k", "attributes", {}, "GetObjectAttributes"),
        ("POST", "/b/k", "restore", {}, "RestoreObject"),
        ("POST", "/b/k", "select&select-type=2", {}, "SelectObjectContent"),
        ("PUT", "/b/k", "encryption", {}, "UpdateObjectEncryption"),
        ("GET", "/b/k", "annotation", {}, "ListObjectAnnotations"),
        ("GET", "/b/k", "annotation&annotationName=n", {}, "GetObjectAnnotation"),
        ("GET", "/b/k", "location", {}, "GetBucketLocation"),  # old bucket selectors work at a key
        ("GET", "/b/k", "versioning", {}, "GetBucketVersioning"),
        ("GET", "/b/k", "analytics", {}, "GetObject"),  # newer ones are ignored there
        ("GET", "/b/k", "publicAccessBlock", {}, "GetObject"),
    ],
)
def test_operation(method: str, path: str, query: str, headers: dict[str, str], operation: str) -> None:
    assert target(method, path, query, headers).operation == operation


def test_a_bucket_selector_at_a_key_keeps_the_key() -> None:
    assert target("GET", "/b/k", "location") == S3Target("GetBucketLocation", "b", "k")


def test_every_general_purpose_operation_is_routed() -> None:
    model = service_model("s3")
    express_or_lambda = {"CreateSession", "ListDirectoryBuckets", "WriteGetObjectResponse"}
    assert routed_operations() == set(model.operation_names) - express_or_lambda


# --- refusals ------------------------------------------------------------------------------------


def test_two_selectors_conflict() -> None:
    error = refusal("GET", "/b", "versioning&acl")
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message == "Conflicting query string parameters: acl, versioning"
    assert error.details == {"ArgumentName": "ResourceType", "ArgumentValue": "acl"}


def test_two_selectors_conflict_at_a_key() -> None:
    error = refusal("GET", "/b/k", "tagging&location")
    assert error.message == "Conflicting query string parameters: location, tagging"


@pytest.mark.parametrize(
    ("method", "path", "query", "resource", "allow"),
    [
        ("DELETE", "/b", "versioning", "VERSIONING", "GET, PUT"),
        ("HEAD", "/b", "versioning", "VERSIONING", "GET, PUT"),
        ("POST", "/b", "location", "LOCATION", "GET"),
        ("GET", "/b", "delete", "DELETE", "POST"),
        ("GET", "/b/k", "encryption", "ENCRYPTION", "PUT"),
        ("PUT", "/b/k", "cors", "CORS", "GET"),  # a bucket selector at a key: GET only
        ("POST", "/b/k", "", "OBJECT", "DELETE, GET, HEAD, PUT"),  # POST needs uploadId
        ("POST", "/", "", "SERVICE", "GET"),
        ("DELETE", "/", "", "SERVICE", "GET"),
        ("POST", "/b/k", "select", "SELECT", None),  # select without select-type=2
    ],
)
def test_method_not_allowed(method: str, path: str, query: str, resource: str, allow: str | None) -> None:
    error = refusal(method, path, query)
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.message == "The specified method is not allowed against this resource."
    assert error.details == {"Method": method, "ResourceType": resource}
    assert error.headers.get("Allow") == allow


def test_a_bucket_post_that_is_no_form_fails_its_precondition() -> None:
    error = refusal("POST", "/b", "", {"content-type": "application/xml"})
    assert (error.code, error.status) == ("PreconditionFailed", 412)
    assert error.details == {"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"}


@pytest.mark.parametrize(
    ("query", "code"), [("logging", "NoLoggingStatusForKey"), ("versions", "InvalidRequest")]
)
def test_bucket_selectors_s3_refuses_at_a_key(query: str, code: str) -> None:
    error = refusal("GET", "/b/k", query)
    assert (error.code, error.status) == (code, 400)
    assert error.message == f"There is no such thing as the ?{query} sub-resource for a key"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "LINK", "get"])
def test_a_method_s3_does_not_know_is_a_bad_request(method: str) -> None:
    error = refusal(method, "/b/k")
    assert (error.code, error.status, error.message) == (
        "BadRequest",
        400,
        "An error occurred when parsing the HTTP request.",
    )


def test_patch_is_not_allowed() -> None:
    error = refusal("PATCH", "/b/k")
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.details["ResourceType"] == "OBJECT"
