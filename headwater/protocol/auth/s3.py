"""S3 request authentication: SigV4 (header and presigned query), legacy SigV2, and the streaming seed.

Theory of operation. S3 signs like every SigV4 service (see sigv4.py) with four differences:

* The canonical URI is the path exactly as sent: no dot-segment removal, no second encoding.
* The payload hash is whatever ``x-amz-content-sha256`` says: a hex SHA-256 (checked against the body
  once it has streamed, :func:`check_content_sha256`), ``UNSIGNED-PAYLOAD``, or a ``STREAMING-*`` mode
  whose body is aws-chunked (aws_chunked.py); presigned URLs use ``UNSIGNED-PAYLOAD`` unless the query
  carries ``X-Amz-Content-Sha256``.
* Errors are S3's XML errors (``SignatureDoesNotMatch`` 403 with the canonical request and string to
  sign as extra elements, ``InvalidAccessKeyId``, ``RequestTimeTooSkewed`` with a 15-minute window,
  ``AccessDenied`` "Request has expired" for presigned URLs...), the extra elements in
  ``AwsError.details``.
* SigV2 is still alive: botocore presigns URLs and POST policies with it by default in us-east-1 and
  us-west-2, so :func:`verify` accepts ``Authorization: AWS key:sig`` and ``AWSAccessKeyId``/
  ``Signature``/``Expires`` query auth (HMAC-SHA1 over method, Content-MD5, Content-Type, date, the
  ``x-amz-*`` headers and the path-style resource with its sub-resources).

A signed streaming upload chains every chunk's signature to the request's (the seed): :class:`ChunkSigner`
holds what the chain needs (signing key, timestamp, scope, seed) and :class:`aws_chunked.ChunkedDecoder`
walks the chain.

Where a client could have canonicalised differently from what it sent (a path character left bare on
the wire but encoded when signing; a presigned request whose payload header was not part of the
signature) a second candidate is tried, only after the first one failed, so valid requests pay nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import quote, unquote_plus, unquote_to_bytes

from headwater.protocol.auth.s3_request import (
    ALGORITHM,
    HEX_SHA256,
    MAX_PRESIGN_EXPIRES,
    MAX_SKEW,
    SIGNATURE_MISMATCH,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNKNOWN_ACCESS_KEY,
    UNSIGNED_PAYLOAD,
    ChunkSigner,
    S3Auth,
    SignedRequest,
    check_skew,
    credential_error,
    header_date,
    iso_basic,
    iso_extended,
    malformed_header,
    mismatch,
    parse_timestamp,
    query_error,
    request_expired,
    s3_error,
    secret_for,
)
from headwater.protocol.auth.s3_v2 import verify_v2
from headwater.protocol.auth.sigv4 import _encode, _parse_query, _signing_key
from headwater.protocol.errors import AwsError

_UNSUPPORTED = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
_BAD_SCOPE = 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
_PAYLOAD_MODES = frozenset(
    (UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER)
)
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)


# the module's face: callers import these from here (`s3_request` and `s3_v2` are its parts)
__all__ = [
    "SIGNATURE_MISMATCH",
    "STREAMING_SIGNED",
    "STREAMING_SIGNED_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
    "UNKNOWN_ACCESS_KEY",
    "UNSIGNED_PAYLOAD",
    "ChunkSigner",
    "S3Auth",
    "check_content_sha256",
    "check_expiry",
    "identify",
    "s3_error",
    "signing_key",
    "verify",
    "wrong_region",
]


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    return _signing_key(secret, date, region, service)


def identify(headers: Mapping[str, str], query: Mapping[str, str]) -> S3Auth:
    """Open-mode identity: the claimed access key and region, verifying nothing and never raising.

    `headers` has lower-case names; `query` holds decoded query parameters.
    """
    payload = headers.get("x-amz-content-sha256") or UNSIGNED_PAYLOAD
    auth = headers.get("authorization")
    if auth:
        if auth.startswith("AWS "):
            return S3Auth(auth[4:].rpartition(":")[0].strip() or None, None, payload, version=2)
        start = auth.find("Credential=")
        if start >= 0:
            scope = re.split(r"[,\s]", auth[start + 11 :], maxsplit=1)[0].split("/")
            return S3Auth(scope[0] or None, scope[2] if len(scope) == 5 else None, payload)
        return S3Auth(None, None, payload)
    if "X-Amz-Credential" in query:
        scope = query["X-Amz-Credential"].split("/")
        payload = query.get("X-Amz-Content-Sha256") or payload
        return S3Auth(scope[0] or None, scope[2] if len(scope) == 5 else None, payload, presigned=True)
    if "AWSAccessKeyId" in query:
        return S3Auth(query["AWSAccessKeyId"] or None, None, payload, presigned=True, version=2)
    return S3Auth(None, None, payload)


def check_expiry(query: Mapping[str, str], now: float) -> None:
    """Open mode checks no signature, but a presigned URL still expires as on AWS (code that
    relies on expiry should fail in tests as it will in production). Unparseable fields pass."""
    if "X-Amz-Credential" in query:
        signed_at = parse_timestamp(query.get("X-Amz-Date", ""), http_date=False)
        expires_text = query.get("X-Amz-Expires", "")
        if signed_at is None or not expires_text.isdigit():
            return
        expires = int(expires_text)
        if expires > MAX_PRESIGN_EXPIRES:
            raise query_error(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
                f"less than {MAX_PRESIGN_EXPIRES} seconds"
            )
        if now > signed_at + expires:
            timing = {"X-Amz-Expires": expires_text, "Expires": iso_extended(signed_at + expires)}
            raise request_expired(timing, now)
    elif "AWSAccessKeyId" in query:
        expires_text = query.get("Expires", "")
        if expires_text.isdigit() and now > int(expires_text):
            raise request_expired({"Expires": iso_extended(int(expires_text))}, now)


def verify(
    method: str,
    raw_path: str,
    query_string: str,
    headers: Mapping[str, str],
    lookup_secret: Callable[[str], str | None],
    now: float,
    *,
    max_skew: float = MAX_SKEW,
    auth_path: str | None = None,
) -> S3Auth:
    """Strict mode: verify the request's signature (if any) or raise S3's error.

    `raw_path` and `query_string` are as sent (percent-encoded, no ``?``); `headers` has lower-case
    names (repeated headers joined with ``,``). `lookup_secret` maps an access key id to its secret
    (None: unknown). `auth_path` is the path-style ``/bucket/key`` form of a virtual-host request,
    which SigV2 signs; it defaults to `raw_path`. An unsigned request verifies as anonymous
    (``access_key=None``): whether anonymous access is allowed is the caller's decision.
    """
    pairs = _parse_query(query_string)
    query: dict[str, str] = {}
    for name, value in pairs:
        query.setdefault(unquote_plus(name), unquote_plus(value))
    auth = headers.get("authorization")
    in_query = [name for name in ("X-Amz-Algorithm", "AWSAccessKeyId", "Signature") if name in query]
    if auth is not None and in_query:
        raise s3_error(
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
            "string parameter or the Authorization header should be specified",
            details={"ArgumentName": "Authorization", "ArgumentValue": auth},
        )
    request = SignedRequest(
        method.upper(), raw_path or "/", query_string, pairs, query, headers, lookup_secret, int(now)
    )
    if auth is not None:
        if auth.startswith("AWS "):
            return verify_v2(request, auth_path, max_skew)
        return _verify_v4_header(request, auth, max_skew)
    if "X-Amz-Algorithm" in query or "X-Amz-Credential" in query:
        return _verify_v4_query(request, max_skew)
    if "AWSAccessKeyId" in query or "Signature" in query:
        return verify_v2(request, auth_path, max_skew)
    return S3Auth(None, None, headers.get("x-amz-content-sha256") or UNSIGNED_PAYLOAD)


def check_content_sha256(auth: S3Auth, computed_hex: str) -> None:
    """After the body streamed: raise XAmzContentSHA256Mismatch if it does not hash to the declared value."""
    declared = auth.content_sha256
    if declared is not None and declared != computed_hex:
        raise s3_error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            details={"ClientComputedContentSHA256": auth.payload, "S3ComputedContentSHA256": computed_hex},
        )


def wrong_region(auth: S3Auth, expected: str) -> AwsError:
    """The error for a request signed for another region than the bucket's (the caller decides to raise)."""
    where = "X-Amz-Credential parameter" if auth.presigned else "authorization header"
    code = "AuthorizationQueryParametersError" if auth.presigned else "AuthorizationHeaderMalformed"
    prefix = "Error parsing the" if auth.presigned else "The"
    return s3_error(
        code,
        f"{prefix} {where} is malformed; the region '{auth.region}' is wrong; expecting '{expected}'",
        details={"Region": expected},
    )


# --- SigV4 -----------------------------------------------------------------------------------------


def _verify_v4_header(request: SignedRequest, header: str, max_skew: float) -> S3Auth:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise s3_error("InvalidRequest", _UNSUPPORTED)
    params = dict(p.strip().partition("=")[::2] for p in rest.split(",") if p.strip())
    if not all(params.get(name) for name in ("Credential", "SignedHeaders", "Signature")):
        raise malformed_header(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature."
        )
    scope = _scope(params["Credential"], malformed_header)
    headers = request.headers
    signed_at, date_value = header_date(headers, http_date="x-amz-date" not in headers)
    timestamp = iso_basic(signed_at)
    if scope[1] != timestamp[:8]:
        raise malformed_header("Invalid credential date. Date is not the same as X-Amz-Date.")
    _check_service(scope, malformed_header)
    payload = headers.get("x-amz-content-sha256")
    if payload is None:
        raise s3_error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    if payload not in _PAYLOAD_MODES and not HEX_SHA256.fullmatch(payload):
        raise s3_error(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid "
            "sha256 value.",
            details={"ArgumentName": "x-amz-content-sha256", "ArgumentValue": payload},
        )
    secret = secret_for(request, scope[0])
    check_skew(request, signed_at, date_value, max_skew)
    signature = params["Signature"]
    key = _check_v4(
        request, scope, secret, timestamp, params["SignedHeaders"], signature, [payload], pairs=None
    )
    signer = None
    if payload in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER):
        scope_text = "/".join(scope[1:])
        signer = ChunkSigner(key, timestamp, scope_text, signature, payload == STREAMING_SIGNED_TRAILER)
    return S3Auth(scope[0], scope[2], payload, signer)


def _verify_v4_query(request: SignedRequest, max_skew: float) -> S3Auth:
    q = request.query
    if not all(q.get(name) for name in _PRESIGN_PARAMS):
        raise query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        )
    if q["X-Amz-Algorithm"] != ALGORITHM:
        raise query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    scope = _scope(q["X-Amz-Credential"], credential_error)
    timestamp = q["X-Amz-Date"]
    signed_at = parse_timestamp(timestamp, http_date=False)
    if signed_at is None or iso_basic(signed_at) != timestamp:
        raise query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    expires_text = q["X-Amz-Expires"]
    if not re.fullmatch(r"-?[0-9]+", expires_text):
        raise query_error("X-Amz-Expires should be a number")
    expires = int(expires_text)
    if expires < 0:
        raise query_error("X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_EXPIRES:
        raise query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
            f"less than {MAX_PRESIGN_EXPIRES} seconds"
        )
    if scope[1] != timestamp[:8]:
        raise credential_error("Invalid credential date. Date is not the same as X-Amz-Date.")
    _check_service(scope, credential_error)
    secret = secret_for(request, scope[0])
    timing = {"X-Amz-Expires": expires_text, "Expires": iso_extended(signed_at + expires)}
    if request.now > signed_at + expires:
        raise request_expired(timing, request.now)
    if signed_at > request.now + max_skew:
        raise s3_error(
            "AccessDenied",
            "Request is not yet valid",
            403,
            {"X-Amz-Date": timestamp, **timing, "ServerTime": iso_extended(request.now)},
        )
    # Presigners put the payload mode in the query when they sign one (Go, JS); botocore signs
    # UNSIGNED-PAYLOAD, or the x-amz-content-sha256 header if the request carried one when signed.
    header_payload = request.headers.get("x-amz-content-sha256")
    if q.get("X-Amz-Content-Sha256"):
        payloads = [q["X-Amz-Content-Sha256"]]
    elif header_payload:
        payloads = [header_payload, UNSIGNED_PAYLOAD]
    else:
        payloads = [UNSIGNED_PAYLOAD]
    pairs = [(k, v) for k, v in request.pairs if unquote_plus(k) != "X-Amz-Signature"]
    signature = q["X-Amz-Signature"]
    _check_v4(request, scope, secret, timestamp, q["X-Amz-SignedHeaders"], signature, payloads, pairs)
    return S3Auth(scope[0], scope[2], payloads[0], presigned=True)


def _check_v4(
    request: SignedRequest,
    scope: list[str],
    secret: str,
    timestamp: str,
    signed_headers: str,
    signature: str,
    payloads: list[str],
    pairs: list[tuple[str, str]] | None,
) -> bytes:
    """Raise SignatureDoesNotMatch unless one canonical form of the request carries `signature`."""
    key = _signing_key(secret, scope[1], scope[2], scope[3])
    scope_text = "/".join(scope[1:])
    query = "&".join(
        f"{k}={v}"
        for k, v in sorted((_encode(k), _encode(v)) for k, v in (request.pairs if pairs is None else pairs))
    )
    headers = "".join(
        f"{name}:{_header_value(request.headers, name)}\n" for name in signed_headers.split(";")
    )
    first: tuple[str, str] | None = None
    for path, payload in _v4_candidates(request.path, payloads):
        canonical = f"{request.method}\n{path}\n{query}\n{headers}\n{signed_headers}\n{payload}"
        digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope_text}\n{digest}"
        expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
        if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return key
        first = first or (canonical, string_to_sign)
    assert first is not None
    raise mismatch(scope[0], first[1], signature, first[0])


def _v4_candidates(path: str, payloads: list[str]) -> Iterator[tuple[str, str]]:
    paths = [path]
    # A client that sends e.g. '!' or '*' bare may have signed it percent-encoded.
    canonical = quote(unquote_to_bytes(path.encode("utf-8", "surrogateescape")), safe="/~")
    if canonical != path:
        paths.append(canonical)
    for payload in payloads:
        for candidate in paths:
            yield candidate, payload


def _header_value(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None and name == "host":
        value = headers.get(":authority")  # HTTP/2 carries the host as a pseudo-header
    return " ".join(value.split()) if value else ""


def _scope(credential: str, error: Callable[[str], AwsError]) -> list[str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise error(_BAD_SCOPE)
    return parts


def _check_service(scope: list[str], error: Callable[[str], AwsError]) -> None:
    if scope[3] != "s3":
        raise error(f'incorrect service "{scope[3]}". This endpoint belongs to "s3".')
    if scope[4] != "aws4_request":
        raise error(f'incorrect terminal "{scope[4]}". This endpoint uses "aws4_request".')
