"""Which bucket, key and S3 operation a REST request is for.

Theory of operation. The bucket comes from the Host (virtual-hosted style, ``b.s3.localhost``) or
else from the first path segment (path style); the key is the rest of the *raw* path,
percent-decoded after the split so that ``%2F`` stays inside the key. That gives the resource
level: the service (``/``), a bucket or an object.

The operation is then picked from a table built once from the botocore model: each operation's
``http.method`` and ``requestUri`` (``/{Bucket}?versioning``, ``/{Bucket}/{Key+}?uploads``,
``/{Bucket}?list-type=2``) give its level, its *selector* (a valueless query key naming a
sub-resource) and any literal ``key=value`` query pairs. Several operations can share a (level,
selector, method) slot; they are told apart by what the request carries:

* literal pairs must match (``list-type=2`` is ListObjectsV2, anything else ListObjects);
* an operation without a selector that requires querystring members requires them to be present
  (ListParts needs ``uploadId``, UploadPart ``partNumber`` and ``uploadId``);
* every other required member (``x-amz-copy-source`` for CopyObject/UploadPartCopy, ``id`` for
  GetBucketAnalyticsConfiguration against ListBucketAnalyticsConfigurations) scores +1 when
  present and -1 when absent; the highest score wins, a deprecated operation losing a tie
  (PutBucketLifecycle vs PutBucketLifecycleConfiguration).

What S3 answers where the model says nothing (AWS behaviour as measured and published by others):
query keys are case-sensitive, unknown ones are ignored (``x-id=GetObject`` from the JS SDK,
cache busters), a selector's value is ignored and the first of a repeated key counts; two selectors
at once are ``InvalidArgument`` "Conflicting query string parameters: a, b" (sorted); a selector on
a method it has no operation for is 405 ``MethodNotAllowed`` with an ``Allow`` header; a few old
bucket selectors sent at a key path (``GET /b/k?location``) are the bucket's operation; a POST to
a bucket that is not a form upload is 412 ``PreconditionFailed``; an HTTP method S3 has no notion
of is 400 ``BadRequest``. CreateSession and ListDirectoryBuckets (S3 Express) and Object Lambda's
WriteGetObjectResponse are not routed: ``?session`` is ignored as S3 ignores it on a general purpose
bucket. RenameObject (Express too) is routed, so that ``PUT /b/k?renameObject`` never falls through
to PutObject; the service answers it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import unquote

from botocore.model import OperationModel

from headwater.protocol.errors import AwsError
from headwater.protocol.models import service_model
from headwater.protocol.rest_xml.errors import invalid_argument, method_not_allowed

POST_OBJECT = "PostObject"
OPTIONS_OBJECT = "OptionsObject"

# Not ours: S3 Express session/directory-bucket listing, and Object Lambda's own endpoint.
_NOT_ROUTED = frozenset({"CreateSession", "ListDirectoryBuckets", "WriteGetObjectResponse"})
_LEVELS = {"/": "service", "/{Bucket}": "bucket", "/{Bucket}/{Key+}": "object"}
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})

# Bucket selectors S3 also dispatches at a key path, as the bucket's own operation, on a GET (the
# others are ignored there and the object answers); ?logging and ?versions are refused there.
_KEY_BUCKET_SELECTORS = frozenset(
    {
        "accelerate",
        "cors",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "notification",
        "policy",
        "replication",
        "requestPayment",
        "versioning",
        "versions",
        "website",
    }
)
_KEY_REFUSALS = {
    "logging": ("NoLoggingStatusForKey", "There is no such thing as the ?logging sub-resource for a key"),
    "versions": ("InvalidRequest", "There is no such thing as the ?versions sub-resource for a key"),
}

# Hosts (port stripped) that name the endpoint itself; a ``<bucket>.`` prefix names a bucket.
_LOCAL_SUFFIXES = ("localhost.localstack.cloud", "localhost")


@dataclass(frozen=True, slots=True)
class S3Target:
    operation: str  # botocore operation name, or PostObject / OptionsObject
    bucket: str | None
    key: str | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    operation: str
    values: tuple[tuple[str, str], ...]  # literal key=value pairs of the requestUri
    hard_query: tuple[str, ...]  # required querystring names that must be present
    soft: tuple[str, ...]  # other required querystring names and (lower-case) header names
    soft_headers: tuple[bool, ...]  # per `soft` entry: a header (True) or a query key
    deprecated: bool


_Slot = tuple[str, str | None]  # (level, selector)


def _candidate(op: OperationModel, selector: str | None, values: list[tuple[str, str]]) -> _Candidate:
    hard: list[str] = []
    soft: list[tuple[str, bool]] = []
    shape = op.input_shape
    members = shape.members if shape is not None else {}
    for name in shape.required_members if shape is not None else ():
        member = members[name]
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "querystring" and selector is None:
            hard.append(wire)
        elif location == "querystring":
            soft.append((wire, False))
        elif location == "header":
            soft.append((wire.lower(), True))
    return _Candidate(
        op.name,
        tuple(values),
        tuple(hard),
        tuple(w for w, _ in soft),
        tuple(h for _, h in soft),
        bool(op.deprecated),
    )


@cache  # on the first S3 request, not at import: the S3 model is the largest botocore loads (~70 ms)
def _tables() -> tuple[dict[_Slot, dict[str, list[_Candidate]]], dict[str, frozenset[str]]]:
    model = service_model("s3")
    table: dict[_Slot, dict[str, list[_Candidate]]] = {}
    selectors: dict[str, set[str]] = {level: set() for level in _LEVELS.values()}
    for name in model.operation_names:
        if name in _NOT_ROUTED:
            continue
        op = model.operation_model(name)
        path, _, query = op.http["requestUri"].partition("?")
        level = _LEVELS.get(path)
        if level is None:
            continue
        flags = [part for part in query.split("&") if part and "=" not in part]
        values = [(k, v) for k, _, v in (part.partition("=") for part in query.split("&") if "=" in part)]
        if len(flags) > 1:
            raise AssertionError(f"{name}: more than one selector in {op.http['requestUri']}")
        selector = flags[0] if flags else None
        if selector:
            selectors[level].add(selector)
        slot = table.setdefault((level, selector), {})
        slot.setdefault(op.http["method"], []).append(_candidate(op, selector, values))
    selectors["object"] |= _KEY_BUCKET_SELECTORS
    return table, {level: frozenset(names) for level, names in selectors.items()}


# --- bucket and key ------------------------------------------------------------------------------


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [v6]:port
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


@lru_cache(maxsize=4096)
def bucket_from_host(host: str) -> str | None:
    """The bucket a virtual-hosted-style Host names, or None for the endpoint itself (path style)."""
    name = _hostname(host)
    if not name or ":" in name:
        return None
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    for suffix in _LOCAL_SUFFIXES:
        if name == suffix:
            return None
        if name.endswith("." + suffix):
            prefix = name[: -len(suffix) - 1]
            if prefix.endswith(".s3"):
                prefix = prefix[:-3]
            return None if prefix in ("", "s3") else prefix
    # <bucket>.s3[.-]<region...>.<domain>: the rightmost "s3"/"s3-..." label ends the bucket, so a
    # dotted bucket name keeps its dots (my.bucket.s3.us-west-2.amazonaws.com).
    labels = name.split(".")
    for i in range(len(labels) - 1, 0, -1):
        label = labels[i]
        if label == "s3" or label.startswith("s3-"):
            return ".".join(labels[:i])
    return None


def _decode(raw: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise AwsError("InvalidURI", "Couldn't parse the specified URI.") from None


def _locate(host: str, raw_path: str) -> tuple[str | None, str | None]:
    path = raw_path.partition("?")[0]
    path = path[1:] if path.startswith("/") else path
    bucket = bucket_from_host(host)
    if bucket is None:
        raw_bucket, _, path = path.partition("/")
        bucket = _decode(raw_bucket) or None
        if bucket is None:
            return None, None
    key = _decode(path) if path else None
    return bucket, key or None


# --- the operation -----------------------------------------------------------------------------


def _score(candidate: _Candidate, query: Mapping[str, str], headers: Mapping[str, str]) -> int | None:
    """How well `candidate` fits the request, or None when it cannot be the operation."""
    for key, value in candidate.values:
        if query.get(key) != value:
            return None
    for key in candidate.hard_query:
        if key not in query:
            return None
    score = len(candidate.values) + len(candidate.hard_query)
    for name, is_header in zip(candidate.soft, candidate.soft_headers, strict=True):
        score += 1 if name in (headers if is_header else query) else -1
    return score


def _pick(candidates: list[_Candidate], query: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
    best: tuple[int, bool] | None = None
    chosen = None
    for candidate in candidates:
        score = _score(candidate, query, headers)
        if score is None:
            continue
        rank = (score, not candidate.deprecated)
        if best is None or rank > best:
            best, chosen = rank, candidate.operation
    return chosen


def _allowed(slot: Mapping[str, list[_Candidate]]) -> list[str]:
    """The methods of a slot with an operation that needs no particular query key."""
    return sorted(method for method, cands in slot.items() if any(not c.hard_query for c in cands))


def _refuse_method(method: str, level: str, selector: str | None) -> AwsError:
    slot = _tables()[0].get((level, selector), {})
    allow = _allowed(slot)
    if level == "bucket" and selector is None:
        allow = sorted({*allow, "POST"})
    allow = [m for m in allow if m != method]  # its operation needs query keys the request lacks
    return method_not_allowed(method, selector.upper() if selector else level.upper(), allow)


def _selector(level: str, query: Mapping[str, str]) -> str | None:
    selected = sorted(key for key in query if key in _tables()[1][level])
    if len(selected) > 1:
        raise invalid_argument(
            "Conflicting query string parameters: " + ", ".join(selected), "ResourceType", selected[0]
        )
    return selected[0] if selected else None


def s3_target(
    method: str,
    host: str,
    raw_path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
) -> S3Target:
    """The operation, bucket and key of a request; raises AwsError where S3 refuses it.

    `query` holds the decoded query pairs in order (a valueless key has ""), `headers` lower-case
    names.
    """
    bucket, key = _locate(host, raw_path)
    if method == "OPTIONS":
        return S3Target(OPTIONS_OBJECT, bucket, key)
    if method not in _METHODS:
        if method == "PATCH":
            raise method_not_allowed(method, "OBJECT" if key else "BUCKET" if bucket else "SERVICE")
        raise AwsError("BadRequest", "An error occurred when parsing the HTTP request.")
    first: dict[str, str] = {}
    for name, value in query:
        first.setdefault(name, value)
    if bucket is None:
        if method == "GET":
            return S3Target("ListBuckets", None, None)
        raise method_not_allowed(method, "SERVICE", ["GET"])
    level = "object" if key is not None else "bucket"
    selector = _selector(level, first)
    if level == "object" and selector in _KEY_BUCKET_SELECTORS:
        if method != "GET":
            raise method_not_allowed(method, selector.upper(), ["GET"])
        if selector in _KEY_REFUSALS:
            raise AwsError(*_KEY_REFUSALS[selector])
        level = "bucket"
    candidates = _tables()[0].get((level, selector), {}).get(method)
    operation = _pick(candidates, first, headers) if candidates else None
    if operation is not None:
        return S3Target(operation, bucket, key)
    if level == "bucket" and selector is None and method == "POST":
        content_type = headers.get("content-type", "").lower()
        if content_type.startswith("multipart/form-data"):
            return S3Target(POST_OBJECT, bucket, None)
        raise AwsError(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            details={"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"},
        )
    raise _refuse_method(method, level, selector)


def routed_operations() -> frozenset[str]:
    """Every botocore operation `s3_target` can answer with."""
    return frozenset(c.operation for slot in _tables()[0].values() for cands in slot.values() for c in cands)
