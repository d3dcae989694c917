"""Automatic key rotation settings: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
ListKeyRotations.

The setting (and its period, 90-2560 days, 365 by default) is kept and reported with its
NextRotationDate, but no new key material is ever made: a key has one material for its whole
life, so ListKeyRotations has no completed rotation to list. AWS-managed keys rotate yearly and
their setting cannot be changed.
"""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kms import errors, lookup
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.paging import page
from headwater.services.kms.records import DEFAULT_ROTATION_DAYS, DISABLED, Key

DAY_S = 86_400


def _changeable(ring: LocalKeyRing, ctx: RequestContext, ref: str, action: str) -> Key:
    key = lookup.managed_key(ring, ctx, ref, action)
    if key.state(ring.clock.now()) == DISABLED:
        raise errors.disabled(key.arn)
    return key


async def enable_key_rotation(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = _changeable(ring, ctx, params["KeyId"], "EnableKeyRotation")
    days = params.get("RotationPeriodInDays") or DEFAULT_ROTATION_DAYS
    since = key.rotation_since_s if key.rotation_days == days and key.rotation_since_s else ring.clock.now()
    ring.store.update(key.key_id, rotation_days=days, rotation_since_s=since)
    await ring.persist()
    return {}


async def disable_key_rotation(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = _changeable(ring, ctx, params["KeyId"], "DisableKeyRotation")
    if key.rotation_days is not None:
        ring.store.update(key.key_id, rotation_days=None, rotation_since_s=None)
        await ring.persist()
    return {}


async def get_key_rotation_status(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = lookup.find(ring, ctx, params["KeyId"], aliases=False)
    days, since = key.rotation_days, key.rotation_since_s
    if key.aws_managed:
        days, since = DEFAULT_ROTATION_DAYS, key.created_s
    if days is None or since is None:
        return {"KeyRotationEnabled": False, "KeyId": key.arn}
    return {
        "KeyRotationEnabled": True,
        "KeyId": key.arn,
        "RotationPeriodInDays": days,
        "NextRotationDate": since + days * DAY_S,
    }


async def list_key_rotations(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    lookup.find(ring, ctx, params["KeyId"], aliases=False)
    rotations, more = page(list[dict[str, Any]](), params)  # material is never rotated: no entries
    return {"Rotations": list(rotations), **more}
