"""Pagination tokens (ListStreams, ListShards, ListStreamConsumers): opaque to clients, readable to us.

A token is URL-safe base64 of a small JSON object; each operation decides what it holds and how old
a token may be. They are not secret: they only name where a listing stopped.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode(token: str) -> dict[str, Any]:
    """The state a token carries; ValueError for anything that is not one of ours."""
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValueError(f"not a token: {token!r}") from exc
    if not isinstance(state, dict):
        raise ValueError(f"not a token: {token!r}")
    return state
