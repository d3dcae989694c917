"""Lambda's FilterCriteria on event-source mappings: which records reach the function.

A mapping holds up to five filters (Lambda's default quota; 10 by quota increase), ORed: a record
is delivered when any filter's pattern matches it, and dropped otherwise (an SQS message is
deleted from the queue, a Kinesis record is skipped and the checkpoint moves past it). No filters
means every record is delivered.

What a pattern is matched against (AWS Lambda developer guide, "Lambda event filtering",
"Properly filtering Amazon SQS messages" and "Properly filtering Kinesis and DynamoDB messages"):

- Kinesis: the record's ``kinesis`` object (``kinesisSchemaVersion``, ``partitionKey``,
  ``sequenceNumber``, ``data``, ``approximateArrivalTimestamp``), with ``data`` base64-decoded
  and parsed as JSON. A pattern on ``data`` must be a nested object (a plain-value rule is
  refused when the mapping is created or updated). When the data is not JSON, a filter with
  a ``data`` rule drops the record; a filter without one still matches on the other fields.
- SQS: the message record Lambda sends (``messageId``, ``body``, ``attributes``,
  ``messageAttributes``, ``eventSourceARN``...). ``body`` is matched as parsed JSON when it is
  JSON and the filter's ``body`` rule is a nested object, and as the plain string when both are
  plain; a mismatch (JSON body, plain-string rule, or the reverse) drops the message. A filter
  without a ``body`` rule skips the check.

"JSON" here means a JSON object or array: a body such as ``42`` or ``"text"`` is a plain string
(a pattern can only look inside structured data). Records are given in the exact shape Lambda
sends, so a mapping builds each record once and filters that.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from headwater.services.event_patterns.errors import PatternError
from headwater.services.event_patterns.match import Pattern, compile_pattern
from headwater.services.event_patterns.tree import ObjectPattern
from headwater.services.event_patterns.values import MISSING, loads

DEFAULT_MAX_FILTERS = 5
MAX_PATTERN_LENGTH = 4096  # the botocore model's constraint on Filter.Pattern

Source = Literal["kinesis", "sqs"]
Style = Literal["none", "plain", "json"]


@dataclass(frozen=True, slots=True)
class _Filter:
    """A pattern and how it treats each source's data key (Kinesis ``data``, SQS ``body``)."""

    pattern: Pattern
    data: Style
    body: Style

    @classmethod
    def of(cls, pattern: Pattern) -> _Filter:
        return cls(pattern, _style(pattern, "data"), _style(pattern, "body"))


class FilterSet:
    """A mapping's compiled filters; an empty set lets every record through."""

    __slots__ = ("_filters", "_reads_body", "_reads_data")

    def __init__(self, patterns: Sequence[Pattern] = ()) -> None:
        self._filters = tuple(_Filter.of(pattern) for pattern in patterns)
        self._reads_data = any(entry.data != "none" for entry in self._filters)
        self._reads_body = any(entry.body != "none" for entry in self._filters)

    @classmethod
    def from_criteria(
        cls,
        criteria: Mapping[str, Any] | None,
        *,
        source: Source | None = None,
        max_filters: int = DEFAULT_MAX_FILTERS,
    ) -> FilterSet:
        """Compile a FilterCriteria (``{"Filters": [{"Pattern": "..."}]}``).

        ``None``, ``{}`` and ``{"Filters": []}`` mean no filtering. ``source`` adds that event
        source's rules (Kinesis refuses a plain-value ``data`` rule). Raises ``PatternError``.
        """
        filters = [] if criteria is None else criteria.get("Filters") or []
        if not isinstance(filters, list):
            raise PatternError("Filters must be a list")
        if len(filters) > max_filters:
            # The guide says only that Lambda "returns an error"; this text is ours, not AWS's.
            raise PatternError(
                f"Too many filters: {len(filters)} (the limit is {max_filters})",
                message=f"The number of filters in FilterCriteria exceeds the limit of {max_filters}.",
            )
        compiled: list[Pattern] = []
        for entry in filters:
            text = entry.get("Pattern") if isinstance(entry, Mapping) else None
            if not isinstance(text, str):
                raise PatternError("A filter has no Pattern")
            if len(text) > MAX_PATTERN_LENGTH:
                raise PatternError(f"Pattern is longer than {MAX_PATTERN_LENGTH} characters")
            pattern = compile_pattern(text)
            if source == "kinesis" and _style(pattern, "data") == "plain":
                raise PatternError("A pattern on Kinesis data must be a JSON object")
            compiled.append(pattern)
        return cls(compiled)

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        return tuple(entry.pattern for entry in self._filters)

    def __bool__(self) -> bool:
        return bool(self._filters)

    def __len__(self) -> int:
        return len(self._filters)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Any filter matches the event as given (no data decoding)."""
        return not self._filters or any(entry.pattern.matches(event) for entry in self._filters)

    def matches_kinesis_record(self, record: Mapping[str, Any]) -> bool:
        """Whether a Kinesis record (as Lambda sends it) reaches the function."""
        if not self._filters:
            return True
        kinesis = record.get("kinesis")
        fields: Mapping[str, Any] = kinesis if isinstance(kinesis, Mapping) else {}
        view = dict(fields)
        data: object = MISSING
        if self._reads_data:  # decode only for filters that look at the data
            data = _structured(_decoded(fields.get("data")))
            if data is not MISSING:
                view["data"] = data
        for entry in self._filters:
            if entry.data != "none" and data is MISSING:
                continue  # a rule on data, and the data is not JSON: this filter drops the record
            if entry.pattern.matches(view):
                return True
        return False

    def matches_sqs_message(self, message: Mapping[str, Any]) -> bool:
        """Whether an SQS message record (as Lambda sends it) reaches the function."""
        if not self._filters:
            return True
        raw = message.get("body")
        body = _structured(raw) if self._reads_body and isinstance(raw, str) else MISSING
        view: Mapping[str, Any] = message if body is MISSING else {**message, "body": body}
        for entry in self._filters:
            if entry.body != "none" and (entry.body == "json") != (body is not MISSING):
                continue  # the body's format and the rule's disagree: Lambda drops the message
            if entry.pattern.matches(view):
                return True
        return False


def _style(pattern: Pattern, key: str) -> Style:
    rules = pattern.rules_for(key)
    if not rules:
        return "none"
    return "json" if any(isinstance(rule, ObjectPattern) for rule in rules) else "plain"


def _decoded(data: object) -> bytes | None:
    if isinstance(data, bytes):
        return data
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _structured(text: str | bytes | None) -> object:
    """Parsed JSON when ``text`` is a JSON object or array, else ``MISSING``."""
    if text is None:
        return MISSING
    try:
        value = loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return MISSING
    return value if isinstance(value, dict | list) else MISSING
