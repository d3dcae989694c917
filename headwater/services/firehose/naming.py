"""S3 object keys for a delivery stream: prefix validation, prefix evaluation, the object suffix.

Theory of operation
-------------------
A key is `<evaluated prefix><suffix>`. A prefix may hold `!{namespace:value}` expressions:
`timestamp:<Java DateTimeFormatter pattern>` (all of them at the same instant: the arrival time
of the oldest record in the object, in UTC or the stream's CustomTimeZone),
`firehose:random-string` (11 fresh characters per occurrence), `firehose:error-output-type`
(ErrorOutputPrefix only) and `partitionKeyFromQuery:<key>` / `partitionKeyFromLambda:<key>`
(dynamic partitioning only). A prefix with no timestamp expression gets
`!{timestamp:yyyy/MM/dd/HH/}` appended by plain concatenation (`logs` gives `logs2026/07/13/14/`,
not `logs/2026/...`), which is what AWS does. When ErrorOutputPrefix is null, error objects go
to `<Prefix><error-output-type>/yyyy/MM/dd/HH/`; `evaluate` gives that when asked for an error
output type and the prefix has no `!{firehose:error-output-type}`.

The suffix is `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>` (same instant and zone
as the prefix); its extension follows CompressionFormat unless FileExtension replaces it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.services.firehose.java_time import PatternError, compile_pattern, format_fields

MAX_EVALUATED = 512
DEFAULT_TIMESTAMP = "yyyy/MM/dd/HH/"
RANDOM_EXPRESSION = "!{firehose:random-string}"
RANDOM_LENGTH = 11

# AWS's wording for a violated prefix rule, as its InvalidArgumentException shows it
# (hashicorp/terraform-provider-aws#13416 quotes "Ths", AWS's own typo).
_CONSTRAINT = "Ths supplied prefix(es) do not satisfy the following constraint: "
# Quoted verbatim in hashicorp/terraform-provider-aws#29092.
DYNAMIC_NAMESPACES_DISABLED = (
    "Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning "
    "is enabled."
)
_EXPRESSION = re.compile(r"!\{([^}:]*):([^}]*)\}")
_PARTITION_NAMESPACES = ("partitionKeyFromQuery", "partitionKeyFromLambda")
_NAMESPACES = ("timestamp", "firehose", *_PARTITION_NAMESPACES)
_FIREHOSE_VALUES = ("random-string", "error-output-type")


class PrefixError(ValueError):
    """A prefix cannot be evaluated for this object (a missing partition key, over 512 characters):
    the records belong in the error output."""


def _expressions(prefix: str) -> Iterator[tuple[str, str]]:
    for m in _EXPRESSION.finditer(prefix):
        yield m.group(1), m.group(2)


def _check_syntax(prefix: str, field: str) -> None:
    """`!{` only inside a well-formed expression of a known namespace, timestamp patterns valid."""
    rest = _EXPRESSION.sub("", prefix)
    if "!{" in rest:
        raise ValueError(
            _CONSTRAINT
            + f"The sequence '!{{' can only appear in '!{{namespace:value}}' expressions in {field}"
        )
    for namespace, value in _expressions(prefix):
        if namespace not in _NAMESPACES:
            raise ValueError(_CONSTRAINT + f"'{namespace}' is not a valid namespace in {field}")
        if namespace == "firehose" and value not in _FIREHOSE_VALUES:
            raise ValueError(
                _CONSTRAINT + f"'{value}' is not a valid value for the firehose namespace in {field}"
            )
        if namespace == "timestamp":
            try:
                compile_pattern(value)
            except PatternError as exc:
                raise ValueError(
                    _CONSTRAINT + f"'{value}' is not a valid timestamp pattern in {field}: {exc}"
                ) from None
        if namespace in _PARTITION_NAMESPACES and not value:
            raise ValueError(_CONSTRAINT + f"{namespace} requires a key name in {field}")


def has_expressions(prefix: str | None) -> bool:
    return bool(prefix) and "!{" in (prefix or "")


def validate_prefixes(
    prefix: str | None, error_prefix: str | None, *, dynamic_partitioning: bool, destination: str
) -> None:
    """Raise ValueError(<InvalidArgumentException message>) when the pair breaks one of AWS's rules.
    `destination` names the destination type ("ExtendedS3", "S3", "Redshift", "Splunk", ...)."""
    prefix = prefix or None
    error_prefix = error_prefix or None
    if prefix is not None:
        _check_syntax(prefix, "Prefix")
    if error_prefix is not None:
        _check_syntax(error_prefix, "ErrorOutputPrefix")
    if destination.lower() == "redshift":
        if has_expressions(prefix):
            raise ValueError(_CONSTRAINT + "Prefix cannot contain expressions for the Redshift destination")
        if error_prefix is not None:
            raise ValueError(_CONSTRAINT + "ErrorOutputPrefix must be null for the Redshift destination")
    prefix_exprs = list(_expressions(prefix or ""))
    error_exprs = list(_expressions(error_prefix or ""))
    if ("firehose", "error-output-type") in prefix_exprs:
        raise ValueError(_CONSTRAINT + "Prefix cannot contain !{firehose:error-output-type}")
    uses_partitions = any(ns in _PARTITION_NAMESPACES for ns, _ in prefix_exprs + error_exprs)
    if uses_partitions and not dynamic_partitioning:
        raise ValueError(DYNAMIC_NAMESPACES_DISABLED)
    if any(ns in _PARTITION_NAMESPACES for ns, _ in error_exprs):
        raise ValueError(_CONSTRAINT + "ErrorOutputPrefix cannot contain Dynamic Partitioning Namespaces")
    if error_prefix is None and prefix_exprs:
        raise ValueError(
            _CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"
        )
    if error_prefix is None and dynamic_partitioning:
        raise ValueError(
            _CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Dynamic Partitioning is enabled"
        )
    if error_exprs and ("firehose", "error-output-type") not in error_exprs:
        raise ValueError(
            _CONSTRAINT
            + "ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions"
        )


def _zone(time_zone: str | None) -> ZoneInfo | None:
    if not time_zone or time_zone == "UTC":
        return None
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # CustomTimeZone is validated at create time; never fail delivery over it


def local_time(at_ms: int, time_zone: str | None) -> datetime:
    at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    zone = _zone(time_zone)
    return at.astimezone(zone) if zone is not None else at


def random_string() -> str:
    return str(uuid.uuid4())[:11]  # as AWS's example "046b6c7f-0b"


@lru_cache(maxsize=1024)
def _template(prefix: str, for_errors: bool) -> tuple[tuple[str, str], ...]:
    """The prefix parsed once: ("text", literal) and (namespace, value) parts, with the null
    ErrorOutputPrefix layout and the default timestamp appended where they apply."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in _EXPRESSION.finditer(prefix):
        if m.start() > pos:
            parts.append(("text", prefix[pos : m.start()]))
        parts.append((m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(prefix):
        parts.append(("text", prefix[pos:]))
    if for_errors and ("firehose", "error-output-type") not in parts:
        parts.append(("error-output-type", ""))
    if not any(kind == "timestamp" for kind, _ in parts):
        parts.append(("timestamp", DEFAULT_TIMESTAMP))
    return tuple(parts)


def evaluate(
    prefix: str | None,
    *,
    at_ms: int,
    time_zone: str | None,
    partition_keys: Mapping[str, str],
    error_output_type: str | None = None,
    lambda_keys: Mapping[str, str] | None = None,
    keep_random: bool = False,
) -> str:
    """The evaluated prefix for an object whose oldest record arrived at `at_ms`.

    `partition_keys` answers partitionKeyFromQuery and, unless `lambda_keys` is given,
    partitionKeyFromLambda. Give `error_output_type` when evaluating for error output: pass the
    ErrorOutputPrefix, or the Prefix when ErrorOutputPrefix is null. Raises PrefixError when a
    partition key is missing or the result is over 512 characters.

    With `keep_random`, `!{firehose:random-string}` stays as is, so the result can key a
    partition's buffer (one per evaluated prefix) and `fill_random` finishes it at flush time.
    """
    at = local_time(at_ms, time_zone)
    parts: list[str] = []
    for kind, value in _template(prefix or "", error_output_type is not None):
        if kind == "text":
            parts.append(value)
        elif kind == "timestamp":
            try:
                parts.append(format_fields(compile_pattern(value), at))
            except PatternError as exc:
                raise PrefixError(str(exc)) from None
        elif kind == "firehose":
            if value == "random-string":
                parts.append(RANDOM_EXPRESSION if keep_random else random_string())
            elif value == "error-output-type" and error_output_type is not None:
                parts.append(error_output_type)
            else:
                raise PrefixError(f"!{{firehose:{value}}} cannot be evaluated here")
        elif kind == "error-output-type":  # the null-ErrorOutputPrefix layout
            parts.append(f"{error_output_type}/")
        elif kind in _PARTITION_NAMESPACES:
            from_lambda = kind == "partitionKeyFromLambda" and lambda_keys is not None
            keys = lambda_keys if from_lambda and lambda_keys is not None else partition_keys
            if value not in keys:
                raise PrefixError(f"partition key {value!r} is missing for {kind}")
            parts.append(str(keys[value]))
        else:
            raise PrefixError(f"!{{{kind}:{value}}} is not an expression Firehose evaluates")
    result = "".join(parts)
    length = len(result) - result.count(RANDOM_EXPRESSION) * (len(RANDOM_EXPRESSION) - RANDOM_LENGTH)
    if length > MAX_EVALUATED:
        raise PrefixError(f"the evaluated prefix is {length} characters, over {MAX_EVALUATED}")
    return result


def fill_random(key: str) -> str:
    """A prefix evaluated with `keep_random`, each random-string now a fresh one."""
    while RANDOM_EXPRESSION in key:
        key = key.replace(RANDOM_EXPRESSION, random_string(), 1)
    return key


def object_name(
    stream: str, version: int, at_ms: int, extension: str, *, time_zone: str | None = None
) -> str:
    """The key suffix: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>` (a fresh uuid)."""
    stamp = local_time(at_ms, time_zone).strftime("%Y-%m-%d-%H-%M-%S")
    return f"{stream}-{version}-{stamp}-{uuid.uuid4()}{extension}"


_COMPRESSION_EXTENSIONS = {
    "UNCOMPRESSED": "",
    "GZIP": ".gz",
    "ZIP": ".zip",
    "Snappy": ".snappy",
    "HADOOP_SNAPPY": ".hsnappy",
}
_CONVERTED_EXTENSIONS = {"parquet": ".parquet", "orc": ".orc"}


def extension(compression: str, file_extension: str | None, converted_to: str | None) -> str:
    """FileExtension replaces the default; a converted object (Parquet/ORC) has no compression
    extension since CompressionFormat must then be UNCOMPRESSED."""
    if file_extension:
        return file_extension
    if converted_to:
        return _CONVERTED_EXTENSIONS.get(converted_to.lower(), "")
    return _COMPRESSION_EXTENSIONS.get(compression or "UNCOMPRESSED", "")
