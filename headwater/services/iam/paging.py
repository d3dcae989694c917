"""IAM's Marker/MaxItems pagination: the marker is the sort key of the last item returned."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headwater.services.iam import errors

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


def page(
    items: Sequence[T], key: Callable[[T], str], params: dict[str, Any]
) -> tuple[list[T], dict[str, Any]]:
    """The items after `Marker` (sorted by `key`), at most `MaxItems`, and IsTruncated/Marker."""
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise errors.invalid_input("Invalid Marker.") from None
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    limit = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chosen = list(items[start : start + limit])
    if start + limit < len(items) and chosen:
        return chosen, {
            "IsTruncated": True,
            "Marker": base64.urlsafe_b64encode(key(chosen[-1]).encode()).decode(),
        }
    return chosen, {"IsTruncated": False}
