"""The event-pattern language of EventBridge rules and Lambda FilterCriteria.

Theory of operation. A pattern's JSON text compiles once (``parse``) into a small tree
(``tree``): objects whose fields hold either nested objects or match lists of value tests
(``matchers``), plus ``$or`` groups. Matching (``match``) walks the tree against an event held as
plain mappings and lists: every field must match, a match list matches when any entry accepts any
leaf at its path (arrays in the event spread their elements over the path), and ``exists`` asks
whether the path holds leaves at all. Numbers keep their JSON text (``values``) because exact
matches compare texts while ``numeric`` compares values.

``lambda_filters`` adds Lambda's rules for event-source mappings: which view of a Kinesis record
or SQS message a pattern sees (decoded JSON data, parsed bodies), what happens when the data is
not JSON, and the FilterCriteria limits. Every refusal is a ``PatternError`` carrying Lambda's
text ("Invalid filter pattern definition.") and a reason.

This package imports no other service: the functions service (and later EventBridge-style
consumers) use it through these names.
"""

from headwater.services.event_patterns.errors import INVALID_FILTER_PATTERN, PatternError
from headwater.services.event_patterns.lambda_filters import DEFAULT_MAX_FILTERS, FilterSet
from headwater.services.event_patterns.match import Pattern, compile_pattern
from headwater.services.event_patterns.values import JsonNumber, loads

__all__ = [
    "DEFAULT_MAX_FILTERS",
    "INVALID_FILTER_PATTERN",
    "FilterSet",
    "JsonNumber",
    "Pattern",
    "PatternError",
    "compile_pattern",
    "loads",
]
