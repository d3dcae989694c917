"""Limit/Marker/Truncated pagination of KMS's list operations.

A marker is opaque to the caller: here the base64 of the position of the next item. A marker
that does not decode, or points past the list, is InvalidMarkerException.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from headwater.services.kms import errors

T = TypeVar("T")


def page(
    items: Sequence[T], params: dict[str, Any], default_limit: int = 100
) -> tuple[Sequence[T], dict[str, Any]]:
    """The items of this page, and the `NextMarker`/`Truncated` members of the answer."""
    start = _position(params.get("Marker"), len(items))
    limit = params.get("Limit") or default_limit
    chosen = items[start : start + limit]
    end = start + len(chosen)
    if end < len(items):
        return chosen, {"NextMarker": base64.urlsafe_b64encode(str(end).encode()).decode(), "Truncated": True}
    return chosen, {"Truncated": False}


def _position(marker: str | None, size: int) -> int:
    if marker is None:
        return 0
    try:
        position = int(base64.urlsafe_b64decode(marker.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise errors.invalid_marker() from None
    if not 0 <= position <= size:
        raise errors.invalid_marker()
    return position
