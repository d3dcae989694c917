"""JSON values as the pattern language sees them.

Lambda and EventBridge compare numbers in exact-value matches by their text: ``300``, ``300.0``
and ``3.0e2`` are different values (Lambda's "Filter rule syntax" note), while ``numeric``
comparisons use the number's value. So JSON is parsed here with every number kept as a
``JsonNumber``: a float that remembers the text it was written as. Python ints and floats in an
event built in code (not parsed) stand for the text ``json.dumps`` would give them.

A leaf is what a field holds at the end of a path: a string, a number, ``true``/``false`` or
``null``. Objects are not leaves, and arrays hold leaves (or objects) rather than being one.
"""

from __future__ import annotations

import json
from typing import Final, TypeGuard


class JsonNumber(float):
    """A JSON number: its value (the float) and its text as written."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, float(text))
        number.text = text
        return number

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"


class _Missing:
    """The value of a field an event does not have."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def _refuse_constant(name: str) -> object:
    # json.loads accepts NaN and Infinity by default; JSON (and AWS) does not.
    raise ValueError(f"{name} is not JSON")


# One decoder for every call: json.loads builds a new one whenever it is given hooks.
_DECODER = json.JSONDecoder(parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_refuse_constant)


def loads(text: str | bytes) -> object:
    """Parse JSON text, numbers as ``JsonNumber``; raises ValueError for anything that is not JSON.

    Bytes are decoded as ``json.loads`` does (UTF-8, or UTF-16/32 by their byte patterns).
    """
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text))
    return _DECODER.decode(text)


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number (booleans are ints in Python but not numbers in JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_text(value: int | float) -> str:
    """The text a number is compared by in exact matches."""
    if isinstance(value, JsonNumber):
        return value.text
    return json.dumps(value)
