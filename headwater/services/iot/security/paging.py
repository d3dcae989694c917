"""The `iot` API's markers: the (base64) key of the last item a page returned."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headwater.services.iot.security import errors

T = TypeVar("T")


def encode(position: str) -> str:
    return base64.b64encode(position.encode()).decode()


def decode(marker: str | None) -> str | None:
    if not marker:
        return None
    try:
        return base64.b64decode(marker.encode(), validate=True).decode()
    except (binascii.Error, ValueError):
        raise errors.invalid("The marker is not valid.") from None


def size(params: dict[str, Any], default: int = 25) -> int:
    return int(params.get("pageSize") or default)


def page(
    items: Sequence[T],
    key: Callable[[T], str],
    params: dict[str, Any],
    default: int = 25,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """`items` (sorted by `key`, descending when asked) after the request's marker, at most
    pageSize, and the next marker (None on the last page). The marker is the last key returned, so
    a page resumes right after it even when that item has gone since."""
    after = decode(params.get("marker"))
    start = 0
    if after is not None:
        beyond = (lambda k: k < after) if descending else (lambda k: k > after)
        start = next((i for i, item in enumerate(items) if beyond(key(item))), len(items))
    limit = size(params, default)
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return chosen, (encode(key(chosen[-1])) if more and chosen else None)
