"""AWS Signature Version 4: credential-scope parsing (every request) and strict verification.

Theory of operation. A SigV4 client signs a *canonical request*::

    METHOD \\n canonical URI \\n canonical query \\n canonical headers \\n\\n signed header names \\n payload hash

and then ``AWS4-HMAC-SHA256 \\n timestamp \\n date/region/service/aws4_request \\n sha256(canonical request)``
with a key derived from the secret by four HMACs (cached here per secret, date, region and service).
The server rebuilds the same text from what arrived on the wire, so every rule must mirror the
clients (botocore ``SigV4Auth`` is the oracle in the tests):

* URI: the path as sent (already percent-encoded), dot segments and empty segments removed, then
  percent-encoded *again* (every non-S3 service double-encodes).
* Query: pairs sorted by encoded name then value; each name and value is decoded and re-encoded with
  only ``A-Za-z0-9-_.~`` left bare, because botocore signs ``%20`` but sends a space as ``+``.
* Headers: only those listed in SignedHeaders; repeated ones joined with ``,``; whitespace trimmed and
  runs collapsed.
* Payload: ``x-amz-content-sha256`` verbatim when it is ``UNSIGNED-PAYLOAD`` or ``STREAMING-*``,
  otherwise sha256 of the body we received (so a lying header fails the signature), or, for a body
  still being streamed (``body=None``), the declared hash.

Checks run in the order AWS's JSON services report them, with their codes and texts (kinesalite's and
dynalite's recorded responses; "- 5 min." is the Kinesis and Firehose skew window, DynamoDB's is 15).
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_tz
from functools import lru_cache
from urllib.parse import quote, unquote_plus, unquote_to_bytes

from headwater.protocol.errors import AwsError

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DEFAULT_MAX_SKEW = 300.0  # seconds; Kinesis and Firehose reject requests dated 5 min away from now
MAX_PRESIGN_EXPIRES = 604_800  # one week, the SigV4 ceiling for X-Amz-Expires

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
_AUTH_PARAMS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


@dataclass(frozen=True, slots=True)
class Credential:
    """The credential scope of a signed request: who signed it, for which day, region and service."""

    access_key: str
    date: str
    region: str
    service: str


def credential_of(headers: Mapping[str, str], query: Mapping[str, str]) -> Credential | None:
    """The claimed credential scope, without verifying anything; None for an unsigned request.

    `headers` has lower-case names; `query` holds decoded query parameters. Cheap enough to run on
    every request in open mode (account from the access key, region from the scope).
    """
    auth = headers.get("authorization")
    if auth is None:
        return _scope_of(query.get("X-Amz-Credential") or "")
    # A request's front ends each ask (classification, then the context): the same header string,
    # whose hash is cached on it, finds the answer the first one parsed.
    try:
        return _BY_HEADER[auth]
    except KeyError:
        pass
    if len(_BY_HEADER) >= _BY_HEADER_MAX:
        _BY_HEADER.clear()
    credential = _BY_HEADER[auth] = _header_credential(auth)
    return credential


_BY_HEADER: dict[str, Credential | None] = {}
_BY_HEADER_MAX = 256


def _header_credential(auth: str) -> Credential | None:
    start = auth.find("Credential=")
    if start < 0:
        return None
    start += 11
    # The scope ends at the next ',' (botocore, most SDKs) or ' ' (also accepted by AWS).
    comma, space = auth.find(",", start), auth.find(" ", start)
    end = min(comma, space) if comma >= 0 and space >= 0 else max(comma, space)
    return _scope_of(auth[start:] if end < 0 else auth[start:end])


def _scope_of(scope: str) -> Credential | None:
    if not scope:
        return None
    parts = scope.split("/")
    if len(parts) != 5:
        return None
    return Credential(parts[0], parts[1], parts[2], parts[3])


def verify(
    method: str,
    raw_path: str,
    query_string: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    secret_for: Callable[[str], str | None],
    now: float,
    *,
    max_skew: float = DEFAULT_MAX_SKEW,
) -> Credential:
    """Verify a SigV4 request (Authorization header or presigned query) or raise AwsError as AWS does.

    `raw_path` and `query_string` are as sent on the wire (percent-encoded, no ``?``); header names
    are lower-case and may repeat. `body=None` means the body is being streamed: the declared
    ``x-amz-content-sha256`` is then trusted, and the caller must check the body against it.
    `secret_for` maps an access key id to its secret (None: unknown key). `now` is epoch seconds.
    """
    pairs = _parse_query(query_string)
    hmap: dict[str, list[str]] = {}
    for name, value in headers:
        hmap.setdefault(name, []).append(value)
    auth_header = hmap.get("authorization")
    presigned = any(k == "X-Amz-Algorithm" for k, _ in pairs)

    if auth_header and presigned:
        raise _invalid(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if not auth_header and not presigned:
        raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token")

    expires: int | None = None
    if auth_header:
        header = auth_header[0]
        algorithm, _, rest = header.strip().partition(" ")
        params = dict(p.partition("=")[::2] for p in rest.replace(",", " ").split() if p)
        date_value = _first(hmap, "x-amz-date") or _first(hmap, "date")
        missing = "".join(
            f"Authorization header requires '{p}' parameter. " for p in _AUTH_PARAMS if not params.get(p)
        )
        if not date_value:
            missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        if missing:
            raise _incomplete(missing + "Authorization=" + header)
        scope, signature, signed = params["Credential"], params["Signature"], params["SignedHeaders"]
        assert date_value is not None  # checked above
        timestamp, signed_at = _parse_date(date_value, allow_http_date="x-amz-date" not in hmap)
    else:
        q: dict[str, str] = {}
        for key, value in pairs:
            q.setdefault(unquote_plus(key), unquote_plus(value))
        missing = "".join(
            f"AWS query-string parameters must include '{p}'. " for p in _QUERY_PARAMS if not q.get(p)
        )
        if missing:
            raise _incomplete(missing + "Re-examine the query-string parameters.")
        algorithm, scope = q["X-Amz-Algorithm"], q["X-Amz-Credential"]
        signature, signed = q["X-Amz-Signature"], q["X-Amz-SignedHeaders"]
        timestamp, signed_at = _parse_date(q["X-Amz-Date"], allow_http_date=False)
        expires = _parse_expires(q.get("X-Amz-Expires"))
        pairs = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]

    _check_time(timestamp, signed_at, now, max_skew, expires)
    signed_names = signed.split(";")
    if "host" not in (n.lower() for n in signed_names):
        raise _invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). ")
    credential = _parse_scope(scope, timestamp)

    secret = secret_for(credential.access_key)
    if secret is None:
        raise AwsError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )

    canonical = "\n".join(
        (
            method.upper(),
            _canonical_uri(raw_path),
            "&".join(f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in pairs)),
            _canonical_headers(signed_names, hmap),
            signed,
            _payload_hash(hmap, body),
        )
    )
    string_to_sign = "\n".join(
        (
            ALGORITHM,
            timestamp,
            f"{credential.date}/{credential.region}/{credential.service}/aws4_request",
            hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest(),
        )
    )
    signing_key = _signing_key(secret, credential.date, credential.region, credential.service)
    expected = hmac.digest(signing_key, string_to_sign.encode("utf-8", "surrogateescape"), "sha256").hex()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
        raise _invalid(
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'"
            f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    return credential


@lru_cache(maxsize=512)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode("utf-8", "surrogateescape"), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode("utf-8", "surrogateescape"), "sha256")
    return key


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidSignatureException", message)


def _incomplete(message: str) -> AwsError:
    return AwsError("IncompleteSignatureException", message)


def _first(hmap: Mapping[str, list[str]], name: str) -> str | None:
    values = hmap.get(name)
    return values[0] if values else None


def _parse_query(query_string: str) -> list[tuple[str, str]]:
    if not query_string:
        return []
    return [p.partition("=")[::2] for p in query_string.split("&") if p]


def _encode(part: str) -> str:
    # Decode whatever the client sent ('+' is a space on the wire), then encode canonically.
    if part.isascii() and part.isalnum():
        return part
    return quote(unquote_to_bytes(part.replace("+", " ").encode("utf-8", "surrogateescape")), safe="-_.~")


@lru_cache(maxsize=1024)  # a client calls the same few paths over and over
def _canonical_uri(raw_path: str) -> str:
    if raw_path == "/" or not raw_path:
        return "/"
    out: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    path = "/" + "/".join(out)
    if raw_path.endswith("/") and out:
        path += "/"
    return quote(path, safe="/~", errors="surrogateescape")


def _canonical_headers(names: Sequence[str], hmap: Mapping[str, list[str]]) -> str:
    lines = []
    for name in names:
        values = hmap.get(name)
        if values is None and name == "host":
            values = hmap.get(":authority")  # HTTP/2 carries the host as a pseudo-header
        joined = ",".join(" ".join(v.split()) for v in values or ())
        lines.append(f"{name}:{joined}\n")
    return "".join(lines)


def _payload_hash(hmap: Mapping[str, list[str]], body: bytes | None) -> str:
    declared = _first(hmap, "x-amz-content-sha256")
    if declared is not None and (declared == UNSIGNED_PAYLOAD or declared.startswith("STREAMING-")):
        return declared
    if body is not None:
        return hashlib.sha256(body).hexdigest()
    if declared is None:
        raise _incomplete("A streamed payload requires the 'X-Amz-Content-SHA256' header.")
    return declared


def _parse_date(value: str, *, allow_http_date: bool) -> tuple[str, int]:
    """The request time as ``YYYYMMDDTHHMMSSZ`` and epoch seconds, from ISO-8601 basic or an HTTP date."""
    digits = value[:8] + value[9:15]
    if len(value) == 16 and value[8] == "T" and value[15] == "Z" and digits.isascii() and digits.isdigit():
        fields = (int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]), int(value[11:13]))
        try:
            datetime(*fields, int(value[13:15]))  # range check only
            return value, calendar.timegm((*fields, int(value[13:15])))
        except ValueError:
            pass
    elif allow_http_date:
        parsed = parsedate_tz(value)
        if parsed is not None:
            try:
                epoch = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
                return _format(epoch), epoch
            except (OverflowError, OSError, ValueError):
                pass  # a year gmtime cannot represent
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise _incomplete(f"X-Amz-Expires must be a non-negative integer number of seconds. Got '{value}'.")
    expires = int(value)
    if expires > MAX_PRESIGN_EXPIRES:
        raise _incomplete(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
            f"must be less than {MAX_PRESIGN_EXPIRES} seconds"
        )
    return expires


def _format(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _span(seconds: float) -> str:
    return f"{int(seconds) // 60} min." if seconds % 60 == 0 else f"{int(seconds)} sec."


def _check_time(timestamp: str, signed_at: int, now: float, max_skew: float, expires: int | None) -> None:
    now = int(now)
    # A presigned URL lives for X-Amz-Expires after its date; a header signature for the skew window.
    window = max_skew if expires is None else expires
    if signed_at < now - window:
        raise _invalid(
            f"Signature expired: {timestamp} is now earlier than {_format(now - window)} "
            f"({_format(now)} - {_span(window)})"
        )
    if signed_at > now + max_skew:
        raise _invalid(
            f"Signature not yet current: {timestamp} is still later than {_format(now + max_skew)} "
            f"({_format(now)} + {_span(max_skew)})"
        )


def _parse_scope(scope: str, timestamp: str) -> Credential:
    parts = scope.rstrip("/").split("/")
    if len(parts) != 5:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{scope}'"
        )
    problems = ""
    if parts[4] != "aws4_request":
        problems += f"Credential should be scoped with a valid terminator: 'aws4_request', not '{parts[4]}'. "
    if parts[1] != timestamp[:8]:
        problems += (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{parts[1]}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    if problems:
        raise _invalid(problems.rstrip())
    return Credential(parts[0], parts[1], parts[2], parts[3])
