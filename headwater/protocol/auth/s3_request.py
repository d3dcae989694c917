"""What verifying an S3 request works on and produces: the request as signed, the outcome
(`S3Auth`, `ChunkSigner`), and S3's authentication errors, shared by SigV4 (s3.py) and SigV2
(s3_v2.py)."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_tz

from headwater.protocol.errors import AwsError

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 900.0  # S3 rejects a header-signed request dated more than 15 minutes away from now
MAX_PRESIGN_EXPIRES = 604_800  # one week

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
UNKNOWN_ACCESS_KEY = "The AWS Access Key Id you provided does not exist in our records."
HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def s3_error(
    code: str, message: str, status: int = 400, details: Mapping[str, str] | None = None
) -> AwsError:
    """An AwsError with S3's extra XML elements (``<StringToSign>``, ``<ServerTime>``...) in order."""
    return AwsError(code, message, status, details=dict(details or {}))


@dataclass(frozen=True, slots=True)
class ChunkSigner:
    """What verifying an aws-chunked body's signature chain needs, from the verified request."""

    key: bytes  # the SigV4 signing key of the request's scope
    timestamp: str  # the request's ISO-8601 basic timestamp
    scope: str  # date/region/service/aws4_request
    seed: str  # the request's own signature: the "previous signature" of the first chunk
    trailer: bool  # STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the trailers carry a signature too

    def chunk_signature(self, previous: str, chunk_sha256_hex: str) -> str:
        text = f"AWS4-HMAC-SHA256-PAYLOAD\n{self.timestamp}\n{self.scope}\n{previous}\n{EMPTY_SHA256}\n"
        return hmac.digest(self.key, (text + chunk_sha256_hex).encode(), "sha256").hex()

    def trailer_signature(self, previous: str, canonical_trailers: bytes) -> str:
        digest = hashlib.sha256(canonical_trailers).hexdigest()
        text = f"AWS4-HMAC-SHA256-TRAILER\n{self.timestamp}\n{self.scope}\n{previous}\n{digest}"
        return hmac.digest(self.key, text.encode(), "sha256").hex()


@dataclass(frozen=True, slots=True)
class S3Auth:
    """Who signed an S3 request and how its body is to be read. access_key None: anonymous."""

    access_key: str | None
    region: str | None
    payload: str  # the x-amz-content-sha256 mode or hex hash; UNSIGNED-PAYLOAD when absent or presigned
    chunk_signer: ChunkSigner | None = None  # set by verify() for the signed STREAMING-* modes
    presigned: bool = False
    version: int = 4  # 2 for the legacy HMAC-SHA1 signatures

    @property
    def streaming(self) -> bool:
        """The body is aws-chunked."""
        return self.payload.startswith("STREAMING-")

    @property
    def content_sha256(self) -> str | None:
        """The declared hex SHA-256 of the body, if the client declared one."""
        return self.payload.lower() if HEX_SHA256.fullmatch(self.payload) else None


@dataclass(frozen=True, slots=True)
class SignedRequest:
    method: str
    path: str
    query_string: str
    pairs: list[tuple[str, str]]  # raw query pairs as sent
    query: dict[str, str]  # decoded, first occurrence
    headers: Mapping[str, str]
    lookup_secret: Callable[[str], str | None]
    now: int


def secret_for(request: SignedRequest, access_key: str) -> str:
    secret = request.lookup_secret(access_key)
    if secret is None:
        raise s3_error("InvalidAccessKeyId", UNKNOWN_ACCESS_KEY, 403, {"AWSAccessKeyId": access_key})
    return secret


def header_date(headers: Mapping[str, str], *, http_date: bool) -> tuple[int, str]:
    """When a header-signed request says it was signed (``x-amz-date``, else ``Date``): epoch
    seconds and the text as sent; AccessDenied without a valid one."""
    date_value = headers.get("x-amz-date") or headers.get("date")
    signed_at = parse_timestamp(date_value, http_date=http_date) if date_value else None
    if signed_at is None or date_value is None:
        raise s3_error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
    return signed_at, date_value


def check_skew(request: SignedRequest, signed_at: int, date_value: str, max_skew: float) -> None:
    """A header-signed request dated more than `max_skew` seconds away from now is refused."""
    if abs(signed_at - request.now) > max_skew:
        raise s3_error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            details={
                "RequestTime": date_value,
                "ServerTime": iso_extended(request.now),
                "MaxAllowedSkewMilliseconds": str(int(max_skew * 1000)),
            },
        )


def request_expired(timing: Mapping[str, str], now: float) -> AwsError:
    """A presigned request past its expiry; `timing` names the fields that said when."""
    return s3_error("AccessDenied", "Request has expired", 403, {**timing, "ServerTime": iso_extended(now)})


def mismatch(access_key: str, string_to_sign: str, provided: str, canonical: str | None) -> AwsError:
    fields = {
        "AWSAccessKeyId": access_key,
        "StringToSign": string_to_sign,
        "SignatureProvided": provided,
        "StringToSignBytes": hex_bytes(string_to_sign),
    }
    if canonical is not None:
        fields["CanonicalRequest"] = canonical
        fields["CanonicalRequestBytes"] = hex_bytes(canonical)
    return s3_error("SignatureDoesNotMatch", SIGNATURE_MISMATCH, 403, fields)


def hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8", "surrogateescape"))


def malformed_header(detail: str) -> AwsError:
    return s3_error("AuthorizationHeaderMalformed", "The authorization header is malformed; " + detail)


def credential_error(detail: str) -> AwsError:
    return query_error("Error parsing the X-Amz-Credential parameter; " + detail)


def query_error(message: str) -> AwsError:
    return s3_error("AuthorizationQueryParametersError", message)


def parse_timestamp(value: str, *, http_date: bool) -> int | None:
    """Epoch seconds of an ISO-8601 basic timestamp (or, if allowed, an HTTP date); None if invalid."""
    if len(value) == 16 and value[8] == "T" and value[15] == "Z":
        digits = value[:8] + value[9:15]
        if digits.isascii() and digits.isdigit():
            try:
                parsed = time.strptime(value, "%Y%m%dT%H%M%SZ")
            except ValueError:
                return None
            return calendar.timegm(parsed)
    if http_date:
        fields = parsedate_tz(value)
        if fields is not None:
            try:
                return calendar.timegm(fields[:9]) - (fields[9] or 0)
            except (OverflowError, ValueError):
                return None
    return None


def iso_basic(epoch: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def iso_extended(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
