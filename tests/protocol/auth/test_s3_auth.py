"""S3 request authentication against requests signed by botocore itself (SigV4, presigned, SigV2)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore.auth
import botocore.crt.auth
import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from headwater.protocol.auth.s3 import (
    SIGNATURE_MISMATCH,
    STREAMING_SIGNED,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
    S3Auth,
    check_content_sha256,
    identify,
    verify,
    wrong_region,
)
from headwater.protocol.errors import AwsError

AK = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {AK: SECRET}
T0 = datetime(2024, 1, 1, 0, 10, 0, tzinfo=UTC)
NOW = T0.timestamp()
HTTP = "http://localhost:4566"
HTTPS = "https://localhost:4566"


@dataclass(frozen=True)
class Wire:
    """A request as the gateway sees it: raw path and query, lower-case headers joined by ','."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def verify(self, now: float = NOW, secrets: dict[str, str] = SECRETS, **kwargs: Any) -> S3Auth:
        return verify(self.method, self.path, self.query, self.headers, secrets.get, now, **kwargs)

    def with_headers(self, **changes: str | None) -> Wire:
        headers = dict(self.headers)
        for name, value in changes.items():
            name = name.replace("_", "-")
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return replace(self, headers=headers)

    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


def _wire(method: str, url: str, headers: Iterator[tuple[str, Any]], body: Any) -> Wire:
    parts = urlsplit(url)
    joined: dict[str, str] = {}
    for name, value in headers:
        text = value.decode() if isinstance(value, bytes) else str(value)
        name = name.lower()
        joined[name] = f"{joined[name]},{text}" if name in joined else text
    joined.setdefault("host", parts.netloc)
    if hasattr(body, "read"):
        body = body.read()
    return Wire(method, parts.path or "/", parts.query, joined, body or b"")


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def client(endpoint: str = HTTP, region: str = "us-east-1", **config: Any) -> Any:
    config.setdefault("signature_version", "s3v4")
    config.setdefault("s3", {"addressing_style": "path"})
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=AK,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 0}, **config),
    )


@pytest.fixture(autouse=True, params=["crt", "python"])
def signer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sign with botocore's CRT signer (used whenever awscrt is installed) and with its pure-Python one."""
    if request.param == "python":
        monkeypatch.setitem(botocore.auth.AUTH_TYPE_MAPS, "s3v4", botocore.auth.S3SigV4Auth)
        monkeypatch.setitem(botocore.auth.AUTH_TYPE_MAPS, "s3v4-query", botocore.auth.S3SigV4QueryAuth)
    return str(request.param)


def freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    def at_t0(remove_tzinfo: bool = True) -> datetime:
        return T0.replace(tzinfo=None) if remove_tzinfo else T0

    monkeypatch.setattr(botocore.auth, "get_current_datetime", at_t0)
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", at_t0)


def capture(monkeypatch: pytest.MonkeyPatch, s3: Any, operation: str, **params: Any) -> Wire:
    """Run an operation on an offline client and return the signed request it would have sent."""
    freeze(monkeypatch)

    def stop(request: Any, **_: Any) -> None:
        raise _Captured(request)

    s3.meta.events.register_first("before-send.s3", stop)
    with pytest.raises(_Captured) as caught:
        getattr(s3, operation)(**params)
    request = caught.value.request
    return _wire(request.method, request.url, request.headers.items(), request.body)


def presigned(
    monkeypatch: pytest.MonkeyPatch, s3: Any, operation: str, expires: int = 3600, **params: Any
) -> Wire:
    freeze(monkeypatch)
    url = s3.generate_presigned_url(operation, Params=params, ExpiresIn=expires)
    method = {"get_object": "GET", "put_object": "PUT", "head_object": "HEAD", "delete_object": "DELETE"}
    return _wire(method[operation], url, iter(()), b"")


def expect(code: str, status: int, wire: Wire, **kwargs: Any) -> AwsError:
    with pytest.raises(AwsError) as caught:
        wire.verify(**kwargs)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value.message
    return caught.value


# --- SigV4 Authorization header -----------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "plain.txt",
        "dir/sub/file",
        "with space and+plus",
        "unicode/é€😀",
        "special !'()*~$&=,;:@",
        "a%2Fb percent",
        "trailing/",
        "..//double//./dots",
    ],
)
def test_put_object_with_awkward_keys(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    wire = capture(monkeypatch, client(), "put_object", Bucket="bkt", Key=key, Body=b"hello")
    auth = wire.verify()
    assert (auth.access_key, auth.region, auth.presigned, auth.version) == (AK, "us-east-1", False, 4)
    assert auth.content_sha256 == hashlib.sha256(b"hello").hexdigest()
    check_content_sha256(auth, hashlib.sha256(wire.body).hexdigest())


def test_the_path_is_not_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "get_object", Bucket="bkt", Key="a/./b/../c")
    assert wire.path == "/bkt/a/./b/../c"
    wire.verify()
    expect("SignatureDoesNotMatch", 403, replace(wire, path="/bkt/a/c"))


def test_a_path_character_sent_bare_but_signed_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "get_object", Bucket="bkt", Key="it's(1)!")
    assert "%27" in wire.path
    replace(wire, path="/bkt/it's(1)!").verify()


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("list_objects_v2", {"Bucket": "bkt", "Prefix": "a b/é", "Delimiter": "/", "StartAfter": "x+y"}),
        ("list_buckets", {}),
        ("get_object", {"Bucket": "bkt", "Key": "k", "Range": "bytes=0-9", "VersionId": "v 1"}),
        ("list_multipart_uploads", {"Bucket": "bkt"}),
        ("create_multipart_upload", {"Bucket": "bkt", "Key": "k", "Metadata": {"Spaced": "  a   b "}}),
        ("delete_objects", {"Bucket": "bkt", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}]}}),
        (
            "put_object_tagging",
            {"Bucket": "bkt", "Key": "k", "Tagging": {"TagSet": [{"Key": "t", "Value": "v"}]}},
        ),
    ],
)
def test_operations(monkeypatch: pytest.MonkeyPatch, operation: str, params: dict[str, Any]) -> None:
    wire = capture(monkeypatch, client(), operation, **params)
    auth = wire.verify()
    assert auth.access_key == AK
    check_content_sha256(auth, hashlib.sha256(wire.body).hexdigest())


def test_virtual_host_style(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(
        monkeypatch, client(s3={"addressing_style": "virtual"}), "get_object", Bucket="bkt", Key="k"
    )
    assert (wire.headers["host"], wire.path) == ("bkt.localhost:4566", "/k")
    wire.verify()


def test_a_tampered_body_fails_the_content_hash_not_the_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "put_object", Bucket="bkt", Key="k", Body=b"hello")
    auth = wire.verify()  # the body is not part of what verify() sees
    with pytest.raises(AwsError) as caught:
        check_content_sha256(auth, hashlib.sha256(b"jello").hexdigest())
    error = caught.value
    assert (error.code, error.status) == ("XAmzContentSHA256Mismatch", 400)
    assert error.details["ClientComputedContentSHA256"] == hashlib.sha256(b"hello").hexdigest()
    assert error.details["S3ComputedContentSHA256"] == hashlib.sha256(b"jello").hexdigest()


def test_unsigned_payload_and_streaming_trailer_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    put = capture(monkeypatch, client(HTTPS), "put_object", Bucket="bkt", Key="k", Body=io.BytesIO(b"hello"))
    auth = put.verify()
    assert auth.payload == STREAMING_UNSIGNED_TRAILER
    assert auth.streaming and auth.chunk_signer is None and auth.content_sha256 is None
    assert put.body == b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"

    s3 = client(
        HTTPS,
        s3={"addressing_style": "path", "payload_signing_enabled": False},
        request_checksum_calculation="when_required",
    )
    unsigned = capture(monkeypatch, s3, "put_object", Bucket="bkt", Key="k", Body=b"x")
    auth = unsigned.verify()
    assert (auth.payload, auth.streaming, auth.content_sha256) == (UNSIGNED_PAYLOAD, False, None)
    check_content_sha256(auth, "anything")  # nothing was declared, nothing to check


def test_changed_signed_header_or_query_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "list_objects_v2", Bucket="bkt", Prefix="p")
    error = expect(
        "SignatureDoesNotMatch", 403, replace(wire, query=wire.query.replace("prefix=p", "prefix=q"))
    )
    assert error.message == SIGNATURE_MISMATCH
    assert error.details["AWSAccessKeyId"] == AK
    assert "prefix=q" in error.details["CanonicalRequest"]
    assert error.details["StringToSign"].startswith("AWS4-HMAC-SHA256\n20240101T001000Z\n")
    assert error.details["StringToSignBytes"].startswith("41 57 53 34")
    assert error.details["SignatureProvided"] in wire.headers["authorization"]
    expect("SignatureDoesNotMatch", 403, wire.with_headers(x_amz_date="20240101T001001Z"))
    expect("SignatureDoesNotMatch", 403, wire, secrets={AK: "wrong"})


def test_unknown_access_key(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "list_buckets")
    error = expect("InvalidAccessKeyId", 403, wire, secrets={})
    assert error.message == "The AWS Access Key Id you provided does not exist in our records."
    assert error.details == {"AWSAccessKeyId": AK}


@pytest.mark.parametrize("offset", [-901, 901, -86400])
def test_request_time_too_skewed(monkeypatch: pytest.MonkeyPatch, offset: int) -> None:
    wire = capture(monkeypatch, client(), "list_buckets")
    error = expect("RequestTimeTooSkewed", 403, wire, now=NOW + offset)
    assert error.message == "The difference between the request time and the current time is too large."
    assert error.details["RequestTime"] == "20240101T001000Z"
    assert error.details["MaxAllowedSkewMilliseconds"] == "900000"
    assert error.details["ServerTime"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW + offset))


@pytest.mark.parametrize("offset", [-900, 900, 0])
def test_the_skew_window_is_fifteen_minutes(monkeypatch: pytest.MonkeyPatch, offset: int) -> None:
    capture(monkeypatch, client(), "list_buckets").verify(now=NOW + offset)


def test_header_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(), "list_buckets")
    auth = wire.headers["authorization"]
    error = expect("InvalidRequest", 400, wire.with_headers(x_amz_content_sha256=None))
    assert error.message == "Missing required header for this request: x-amz-content-sha256"
    error = expect("InvalidArgument", 400, wire.with_headers(x_amz_content_sha256="md5ish"))
    assert error.details == {"ArgumentName": "x-amz-content-sha256", "ArgumentValue": "md5ish"}
    error = expect("AccessDenied", 403, wire.with_headers(x_amz_date=None))
    assert error.message == "AWS authentication requires a valid Date or x-amz-date header"
    expect("AccessDenied", 403, wire.with_headers(x_amz_date="2024-01-01T00:10:00Z"))
    error = expect(
        "AuthorizationHeaderMalformed", 400, wire.with_headers(authorization=auth.split(", Signature")[0])
    )
    assert "requires three components: Credential, SignedHeaders, and Signature." in error.message
    bad_scope = auth.replace("/us-east-1/s3/aws4_request", "/us-east-1/s3")
    error = expect("AuthorizationHeaderMalformed", 400, wire.with_headers(authorization=bad_scope))
    assert error.message == (
        "The authorization header is malformed; the Credential is mal-formed; "
        'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
    )
    error = expect(
        "AuthorizationHeaderMalformed", 400, wire.with_headers(authorization=auth.replace("/s3/", "/sqs/"))
    )
    assert 'incorrect service "sqs". This endpoint belongs to "s3".' in error.message
    error = expect(
        "AuthorizationHeaderMalformed",
        400,
        wire.with_headers(authorization=auth.replace("20240101/", "20231231/")),
    )
    assert error.message.endswith("Invalid credential date. Date is not the same as X-Amz-Date.")
    error = expect(
        "InvalidRequest",
        400,
        wire.with_headers(authorization=auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
    )
    assert "Please use AWS4-HMAC-SHA256" in error.message
    both = replace(wire, query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    error = expect("InvalidArgument", 400, both)
    assert error.message.startswith("Only one auth mechanism allowed")


def test_a_http_date_header_instead_of_x_amz_date() -> None:
    request = AWSRequest(method="GET", url=HTTP + "/bkt/k", headers={"Date": "Mon, 01 Jan 2024 00:10:00 GMT"})
    request.context["timestamp"] = "20240101T001000Z"
    request.headers["X-Amz-Content-SHA256"] = UNSIGNED_PAYLOAD
    signer = S3SigV4Auth(Credentials(AK, SECRET), "s3", "us-east-1")
    canonical = signer.canonical_request(_with_host(request))
    string_to_sign = f"AWS4-HMAC-SHA256\n20240101T001000Z\n20240101/us-east-1/s3/aws4_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = signer.signature(string_to_sign, request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={AK}/20240101/us-east-1/s3/aws4_request, "
        f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, Signature={signature}"
    )
    Wire("GET", "/bkt/k", "", headers, b"").verify()


def _with_host(request: AWSRequest) -> AWSRequest:
    request.headers["host"] = "localhost:4566"
    return request


# --- the signed streaming seed (AWS's worked example) -----------------------------------------------

DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_KEY = "AKIAIOSFODNN7EXAMPLE"


def test_the_aws_streaming_example_yields_the_documented_seed_signature() -> None:
    seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential={DOC_KEY}/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            f"x-amz-decoded-content-length;x-amz-storage-class,Signature={seed}"
        ),
        "x-amz-content-sha256": STREAMING_SIGNED,
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
    }
    now = datetime(2013, 5, 24, tzinfo=UTC).timestamp()
    auth = verify("PUT", "/examplebucket/chunkObject.txt", "", headers, {DOC_KEY: DOC_SECRET}.get, now)
    signer = auth.chunk_signer
    assert signer is not None and auth.streaming
    assert (signer.seed, signer.timestamp, signer.scope) == (
        seed,
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
    )
    assert not signer.trailer
    first = signer.chunk_signature(seed, hashlib.sha256(b"a" * 65536).hexdigest())
    assert first == "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"


# --- presigned SigV4 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["get_object", "put_object", "head_object", "delete_object"])
def test_presigned_v4(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    wire = presigned(monkeypatch, client(), operation, Bucket="bkt", Key="dir/a b+c")
    auth = wire.verify(now=NOW + 3000)
    assert (auth.access_key, auth.region, auth.payload, auth.presigned) == (
        AK,
        "us-east-1",
        UNSIGNED_PAYLOAD,
        True,
    )


def test_presigned_v4_with_response_overrides_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = presigned(
        monkeypatch,
        client(region="eu-west-1"),
        "get_object",
        Bucket="bkt",
        Key="k",
        VersionId="v1",
        ResponseContentDisposition='attachment; filename="a b.txt"',
        ResponseContentType="text/plain; charset=utf-8",
    )
    assert wire.verify().region == "eu-west-1"


def test_presigned_v4_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = presigned(monkeypatch, client(), "get_object", expires=60, Bucket="bkt", Key="k")
    wire.verify(now=NOW + 60)
    error = expect("AccessDenied", 403, wire, now=NOW + 61)
    assert error.message == "Request has expired"
    assert error.details == {
        "X-Amz-Expires": "60",
        "Expires": "2024-01-01T00:11:00Z",
        "ServerTime": "2024-01-01T00:11:01Z",
    }
    error = expect("AccessDenied", 403, wire, now=NOW - 901)
    assert error.message == "Request is not yet valid"
    zero = replace(wire, query=wire.query.replace("X-Amz-Expires=60", "X-Amz-Expires=0"))
    expect("AccessDenied", 403, zero, now=NOW + 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "X-Amz-Expires=60",
            "X-Amz-Expires=604801",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        ("X-Amz-Expires=60", "X-Amz-Expires=soon", "X-Amz-Expires should be a number"),
        ("X-Amz-Expires=60", "X-Amz-Expires=-5", "X-Amz-Expires must be non-negative"),
        (
            "X-Amz-Expires=60&",
            "",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ),
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-HMAC-SHA1",
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
        ),
        (
            "X-Amz-Date=20240101T001000Z",
            "X-Amz-Date=2024-01-01",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ),
        (
            "%2Faws4_request",
            "",
            'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        ),
    ],
)
def test_presigned_v4_parameter_errors(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str, message: str
) -> None:
    wire = presigned(monkeypatch, client(), "get_object", expires=60, Bucket="bkt", Key="k")
    assert old in wire.query
    error = expect(
        "AuthorizationQueryParametersError", 400, replace(wire, query=wire.query.replace(old, new))
    )
    assert error.message == message


def test_presigned_v4_signature_and_key_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = presigned(monkeypatch, client(), "get_object", Bucket="bkt", Key="k")
    error = expect("SignatureDoesNotMatch", 403, replace(wire, path="/bkt/other"))
    assert "/bkt/other" in error.details["CanonicalRequest"]
    assert "X-Amz-Signature" not in error.details["CanonicalRequest"]
    expect("InvalidAccessKeyId", 403, wire, secrets={})


def test_presigned_v4_fetched_with_an_extra_payload_header(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = presigned(monkeypatch, client(), "put_object", Bucket="bkt", Key="k")
    auth = wire.with_headers(x_amz_content_sha256=hashlib.sha256(b"x").hexdigest()).verify()
    assert auth.presigned


def test_presigned_v4_with_the_payload_mode_in_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    # Go and JS presigners sign X-Amz-Content-Sha256 as a query parameter.
    s3 = client()
    s3.meta.events.register("before-sign.s3", _payload_in_query)
    wire = presigned(monkeypatch, s3, "put_object", Bucket="bkt", Key="k")
    assert "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD" in wire.query
    assert wire.verify().payload == UNSIGNED_PAYLOAD


def _payload_in_query(request: Any, **_: Any) -> None:
    request.url += ("&" if "?" in request.url else "?") + "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"


# --- SigV2 (botocore's default presigner in us-east-1) -------------------------------------------------


def v2_client(endpoint: str = HTTP) -> Any:
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=AK,
        aws_secret_access_key=SECRET,
    )


def test_default_boto3_presigned_urls_are_v2_and_verify() -> None:
    s3 = v2_client()
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": "bkt", "Key": "a b/c+d", "VersionId": "v1", "ResponseContentType": "text/plain"},
        ExpiresIn=120,
    )
    assert "AWSAccessKeyId=" in url
    wire = _wire("GET", url, iter(()), b"")
    now = time.time()
    auth = wire.verify(now=now)
    assert (auth.access_key, auth.version, auth.presigned, auth.region) == (AK, 2, True, None)
    expires = int(wire.query_params()["Expires"])
    error = expect("AccessDenied", 403, wire, now=expires + 1)
    assert error.message == "Request has expired"
    assert set(error.details) == {"Expires", "ServerTime"}
    expect("SignatureDoesNotMatch", 403, replace(wire, path="/bkt/other"), now=now)
    expect("InvalidAccessKeyId", 403, wire, now=now, secrets={})


def test_v2_presigned_put_with_signed_headers_moved_to_the_query() -> None:
    url = v2_client().generate_presigned_url(
        "put_object", Params={"Bucket": "bkt", "Key": "k", "ContentType": "text/csv", "ACL": "public-read"}
    )
    wire = _wire("PUT", url, iter((("Content-Type", "text/csv"),)), b"")
    assert "x-amz-acl=public-read" in wire.query
    wire.verify(now=time.time())


def test_v2_header_auth_path_and_virtual_host() -> None:
    for url, auth_path in [
        (HTTP + "/bkt/dir/k%20x?uploads", None),
        (HTTP + "/bkt/k?uploadId=u1&partNumber=2", None),
        ("http://bkt.localhost:4566/k?acl", "/bkt/k"),
    ]:
        request = AWSRequest(
            method="PUT", url=url, headers={"x-amz-meta-a": " one ", "Content-Type": "text/plain"}
        )
        request.auth_path = auth_path
        HmacV1Auth(Credentials(AK, SECRET)).add_auth(request)
        wire = _wire("PUT", url, request.headers.items(), b"")
        assert wire.headers["authorization"].startswith(f"AWS {AK}:")
        auth = wire.verify(now=time.time(), auth_path=auth_path)
        assert (auth.access_key, auth.version, auth.presigned) == (AK, 2, False)
        expect(
            "SignatureDoesNotMatch",
            403,
            wire.with_headers(x_amz_meta_a="two"),
            now=time.time(),
            auth_path=auth_path,
        )
        expect("RequestTimeTooSkewed", 403, wire, now=time.time() + 1000, auth_path=auth_path)


# --- identify (open mode) ------------------------------------------------------------------------------


def test_identify(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = capture(monkeypatch, client(region="eu-west-2"), "put_object", Bucket="b", Key="k", Body=b"x")
    auth = identify(wire.headers, wire.query_params())
    assert (auth.access_key, auth.region, auth.content_sha256) == (
        AK,
        "eu-west-2",
        hashlib.sha256(b"x").hexdigest(),
    )
    v4 = presigned(monkeypatch, client(), "get_object", Bucket="b", Key="k")
    assert identify(v4.headers, v4.query_params()) == S3Auth(
        AK, "us-east-1", UNSIGNED_PAYLOAD, presigned=True
    )
    v2 = _wire(
        "GET",
        v2_client().generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}),
        iter(()),
        b"",
    )
    assert identify(v2.headers, v2.query_params()).access_key == AK
    assert identify({"authorization": "AWS AK2:c2ln"}, {}).access_key == "AK2"
    assert identify({}, {}) == S3Auth(None, None, UNSIGNED_PAYLOAD)


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "AWS",
        "AWS ",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=",
        "Credential=/",
        "Bearer x",
        "\x00é",
    ],
)
def test_identify_never_raises_on_junk(authorization: str) -> None:
    identify({"authorization": authorization}, {})
    identify({}, {"X-Amz-Credential": authorization, "AWSAccessKeyId": authorization})


def test_anonymous_requests_verify_as_anonymous() -> None:
    auth = Wire("GET", "/bkt/k", "", {"host": "localhost"}, b"").verify()
    assert auth == S3Auth(None, None, UNSIGNED_PAYLOAD)


def test_wrong_region_error(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = capture(monkeypatch, client(), "list_buckets").verify()
    error = wrong_region(auth, "eu-west-1")
    assert (error.code, error.status, error.details) == (
        "AuthorizationHeaderMalformed",
        400,
        {"Region": "eu-west-1"},
    )
    assert error.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
    )
