"""Opaque nextTokens for the Describe operations: the sort key of the last item returned."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headwater.services.logs import errors

T = TypeVar("T")


def page(
    items: Sequence[T], key: Callable[[T], Any], token: str | None, limit: int
) -> tuple[list[T], str | None]:
    """`items` (sorted by `key`) after the token's position, at most `limit`, and the next token."""
    start = 0
    if token:
        after = _decode(token)
        try:
            start = next((i for i, item in enumerate(items) if _comparable(key(item)) > after), len(items))
        except TypeError:  # a token of another listing
            raise errors.bad_token() from None
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return chosen, (_encode(key(chosen[-1])) if more and chosen else None)


def _comparable(value: Any) -> Any:
    return json.loads(json.dumps(value))  # tuples become lists, as in a decoded token


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _decode(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        raise errors.bad_token() from None
