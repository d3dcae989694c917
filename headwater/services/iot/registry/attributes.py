"""Attribute payloads (things and thing groups) and the expectedVersion rule."""

from __future__ import annotations

from typing import Any

from headwater.services.iot.registry import errors

# AWS IoT: a thing without a type has at most 3 attributes, one with a type at most 50
UNTYPED_MAX = 3
TYPED_MAX = 50


def apply(current: dict[str, str], payload: dict[str, Any] | None) -> dict[str, str]:
    """The attributes after an update: `merge` adds and replaces, otherwise the payload's
    attributes replace them all; an empty value removes the attribute either way."""
    if not payload or payload.get("attributes") is None:
        return dict(current)
    given: dict[str, str] = payload["attributes"]
    if not payload.get("merge"):
        return {key: value for key, value in given.items() if value != ""}
    merged = dict(current)
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def created(payload: dict[str, Any] | None) -> dict[str, str]:
    """A new resource's attributes (empty values are kept out, as on update)."""
    return {k: v for k, v in ((payload or {}).get("attributes") or {}).items() if v != ""}


def check_count(attributes: dict[str, str], typed: bool) -> None:
    if typed and len(attributes) > TYPED_MAX:
        raise errors.invalid(f"Thing with a thing type can have at most {TYPED_MAX} attributes.")
    if not typed and len(attributes) > UNTYPED_MAX:
        raise errors.invalid(
            f"Thing without a thing type can have at most {UNTYPED_MAX} attributes. "
            "Add a thing type to the thing to have up to 50 attributes."
        )


def check_version(params: dict[str, Any], current: int, kind: str, name: str) -> None:
    expected = params.get("expectedVersion")
    if expected is not None and int(expected) != current:
        raise errors.version_conflict(kind, name)
