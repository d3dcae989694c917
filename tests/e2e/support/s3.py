"""Shared helpers for the S3 end-to-end tests: expected ETags and checksums computed the way AWS
documents them, errors as (code, status, message), SigV4-signed raw requests for what boto3 hides
(Host-header addressing, raw XML bodies, CORS preflights), clients, and polling with a deadline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest
from awscrt import checksums
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for

MIB = 1024 * 1024
CREDENTIALS = Credentials("test", "test")
UNSIGNED = "UNSIGNED-PAYLOAD"


# --- digests -------------------------------------------------------------------------------------


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def etag_of(data: bytes) -> str:
    """A single-part object's ETag: the quoted MD5 hex of its bytes."""
    return f'"{md5_hex(data)}"'


def multipart_etag(parts: list[bytes]) -> str:
    """A multipart object's ETag: MD5 of the concatenated binary part MD5s, then "-<part count>"."""
    digests = b"".join(hashlib.md5(part, usedforsecurity=False).digest() for part in parts)
    return f'"{md5_hex(digests)}-{len(parts)}"'


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc32_b64(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def crc32c_b64(data: bytes) -> str:
    return b64(checksums.crc32c(data).to_bytes(4, "big"))


def crc64nvme_b64(data: bytes) -> str:
    return b64(checksums.crc64nvme(data).to_bytes(8, "big"))


def sha256_b64(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def sha1_b64(data: bytes) -> str:
    return b64(hashlib.sha1(data, usedforsecurity=False).digest())


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic, incompressible-enough bytes (a repeated 64 KiB block of a seeded hash chain)."""
    block = bytearray()
    digest = seed.to_bytes(8, "big")
    while len(block) < 65536:
        digest = hashlib.sha256(digest).digest()
        block += digest
    return (bytes(block) * (size // 65536 + 1))[:size]


# --- errors --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S3Error:
    code: str
    status: int
    message: str
    error: dict[str, Any]
    headers: dict[str, str]


def error_of(call: Callable[..., Any], **kwargs: Any) -> S3Error:
    """The service error a boto3 call raises (code, HTTP status, message, the parsed error)."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    error = response.get("Error", {})
    metadata = response["ResponseMetadata"]
    return S3Error(
        code=error.get("Code", ""),
        status=metadata["HTTPStatusCode"],
        message=error.get("Message", ""),
        error=error,
        headers=metadata.get("HTTPHeaders", {}),
    )


def xml_error(body: bytes) -> dict[str, str]:
    """The children of an S3 `<Error>` document as a flat dict (Code, Message, Key, RequestId...)."""
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: child.text or "" for child in root}


def xml_find_all(body: bytes, path: str) -> list[str]:
    """Texts at an element path of an XML response, e.g. 'Contents/Key', matching local names (S3
    puts most documents in its namespace, some, like PostResponse, in none)."""
    nodes = [ET.fromstring(body)]
    for step in path.split("/"):
        nodes = [child for node in nodes for child in node if child.tag.rsplit("}", 1)[-1] == step]
    return [node.text or "" for node in nodes]


# --- raw requests --------------------------------------------------------------------------------


def signed(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    region: str = "us-east-1",
) -> dict[str, str]:
    """SigV4 (service s3) headers for a request; an explicit Host header is what gets signed."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    S3SigV4Auth(CREDENTIALS, "s3", region).add_auth(request)
    return dict(request.headers.items())


def signing_key(day: str, region: str = "us-east-1") -> bytes:
    key = hmac.new(b"AWS4" + CREDENTIALS.secret_key.encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign_v4(
    method: str,
    endpoint: str,
    path: str,
    headers: Mapping[str, str],
    content_sha: str,
    now: dt.datetime | None = None,
    query: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], str, str]:
    """SigV4 by hand, for the payload modes botocore never produces (UNSIGNED-PAYLOAD on a plain
    request, signed aws-chunked streams). `path` is the canonical (encoded) path. Returns (all
    headers to send, the signature, the credential scope)."""
    amz_date = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    all_headers = {"host": host_of(endpoint), "x-amz-date": amz_date, "x-amz-content-sha256": content_sha}
    all_headers.update({k.lower(): v for k, v in headers.items()})
    names = sorted(all_headers)
    canonical_headers = "".join(f"{name}:{all_headers[name].strip()}\n" for name in names)
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted((query or {}).items())
    )
    canonical = "\n".join([method, path, canonical_query, canonical_headers, ";".join(names), content_sha])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(amz_date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
    all_headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={CREDENTIALS.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return all_headers, signature, scope


def raw(
    endpoint: str,
    method: str,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    sign: bool = True,
) -> httpx.Response:
    """One HTTP request to the server; `path` is sent as given (already percent-encoded)."""
    url = endpoint + path + ("?" + urlencode(query, safe="") if query else "")
    all_headers = signed(method, url, headers=headers, body=body) if sign else dict(headers or {})
    with httpx.Client(timeout=30) as client:
        return client.request(method, url, headers=all_headers, content=body)


def host_of(endpoint: str) -> str:
    return urlsplit(endpoint).netloc


# --- clients and listings ------------------------------------------------------------------------------------


def s3_client(
    endpoint: str,
    region: str = "us-east-1",
    verify: bool | None = None,
    access_key: str = "test",
    **config: Any,
) -> Any:
    """An S3 client like the `s3` fixture's, in any region, as any access key."""
    return client_for(endpoint, "s3", region=region, verify=verify, access_key=access_key, **config)


def keys_of(response: Mapping[str, Any]) -> list[str]:
    return [entry["Key"] for entry in response.get("Contents", [])]


def prefixes_of(response: Mapping[str, Any]) -> list[str]:
    return [entry["Prefix"] for entry in response.get("CommonPrefixes", [])]


def empty_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        for entry in entries:
            s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])


# --- waiting ----------------------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Polls until `condition()` is truthy and returns it; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not met within {timeout} s"
        time.sleep(0.05)
