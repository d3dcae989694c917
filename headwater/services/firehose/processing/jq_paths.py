"""MetadataExtraction queries that are only field paths, evaluated in Python with jq's results.

Theory of operation
-------------------
Almost every dynamic partitioning query is an object of plain paths: `{customer: .customer_id,
region: .meta.region}` (or `{customer}`, jq's shorthand for `{customer: .customer}`). Running jq
for those cost ~65 µs a record (the value goes to jq as JSON text and comes back the same way);
looking the fields up here costs ~1 µs. `compile_paths` recognises exactly that grammar (keys that
are identifiers or plain double-quoted strings, paths of identifiers, no jq keywords) and returns
None for anything else, which jq then runs as before.

`evaluate` gives jq's answer only where it is certain to: on an object `.k` is the member or null
when absent, on null it is null; any other step (a string, a number, an array indexed by name:
jq's "Cannot index" errors) and any number found (jq formats numbers itself) answer `UNSURE`, and
the caller runs jq on that record. Strings, booleans and null come out as jq would return them.
"""

from __future__ import annotations

import re
from typing import Any, Final

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = rf"(?:\.{_IDENT})+"
_STRING = r'"[A-Za-z0-9_ .:/@-]*"'  # no escapes: the text between the quotes is the key
_MEMBER = re.compile(rf"\s*(?:({_IDENT})|({_STRING}))\s*(?::\s*({_PATH})\s*)?(,|}})")
_KEYWORDS = frozenset(
    [
        "def",
        "as",
        "if",
        "then",
        "elif",
        "else",
        "end",
        "and",
        "or",
        "not",
        "reduce",
        "foreach",
        "try",
        "catch",
        "label",
        "import",
        "include",
        "__loc__",
        "true",
        "false",
        "null",
    ]
)
UNSURE: Final = object()

Paths = tuple[tuple[str, tuple[str, ...]], ...]  # (output key, path steps) in query order


def compile_paths(query: str) -> Paths | None:
    """The query's (key, path) members when it is an object of plain paths, else None."""
    text = query.strip()
    if not text.startswith("{") or not text.endswith("}"):
        return None
    at, members = 1, []
    while True:
        match = _MEMBER.match(text, at)
        if match is None:
            return None
        ident, quoted, path = match.group(1), match.group(2), match.group(3)
        if ident is not None:
            if ident in _KEYWORDS:
                return None
            key = ident
        else:
            if path is None:  # {"a"} is not jq's shorthand: leave it to jq
                return None
            key = quoted[1:-1]
        steps = tuple(path[1:].split(".")) if path is not None else (key,)
        if any(step in _KEYWORDS for step in steps):
            return None
        members.append((key, steps))
        at = match.end()
        if match.group(4) == "}":
            return tuple(members) if at == len(text) else None


def evaluate(paths: Paths, document: Any) -> dict[str, Any] | object:
    """The object jq would output for `document`, or UNSURE (then jq decides)."""
    out: dict[str, Any] = {}
    for key, steps in paths:
        value = document
        for step in steps:
            if value.__class__ is dict:
                value = value.get(step)
            elif value is not None:
                return UNSURE  # jq's own error for indexing this
        if value is not None and value.__class__ is not str and value.__class__ is not bool:
            return UNSURE  # a number (jq's formatting), an object or array (jq's rendering)
        out[key] = value
    return out
