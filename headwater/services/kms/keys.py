"""KMS keys: creation, description, listing, enabling and disabling, scheduled deletion.

Only symmetric encryption keys exist here (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT,
Origin AWS_KMS, single-region): a request for any other kind is UnsupportedOperationException, not
a key that would fail later.

ScheduleKeyDeletion puts a key in PendingDeletion for 7-30 days (30 by default); the key is
deleted when the server's clock passes its DeletionDate (`--test-mode` can advance the clock),
and then it, and its aliases, are gone from every API. CancelKeyDeletion before that leaves it
Disabled, as AWS does. AWS-managed keys (`alias/aws/kinesis`, `/sqs`, `/s3`, created when a
service first needs them) are listed with KeyManager AWS and cannot be disabled or deleted.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kms import errors, lookup, tags
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.paging import page
from headwater.services.kms.records import PENDING_DELETION, Key
from headwater.services.ports import KeyRingError

SYMMETRIC = "SYMMETRIC_DEFAULT"
DAY_S = 86_400
DEFAULT_PENDING_DAYS, MIN_PENDING_DAYS, MAX_PENDING_DAYS = 30, 7, 30


def metadata(ring: LocalKeyRing, key: Key) -> dict[str, Any]:
    """A key's KeyMetadata."""
    state = key.state(ring.clock.now())
    result: dict[str, Any] = {
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_s,
        "Enabled": state == "Enabled",
        "Description": key.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": state,
        "Origin": "AWS_KMS",
        "KeyManager": "AWS" if key.aws_managed else "CUSTOMER",
        "CustomerMasterKeySpec": SYMMETRIC,
        "KeySpec": SYMMETRIC,
        "EncryptionAlgorithms": [SYMMETRIC],
        "MultiRegion": False,
        "CurrentKeyMaterialId": material_id(key),
    }
    if state == PENDING_DELETION:
        result["DeletionDate"] = key.deletion_s
        result["PendingDeletionWindowInDays"] = key.pending_days
    return result


def material_id(key: Key) -> str:
    """A stable 64-hex-digit id of the key's (one) material, derived from its id, never from the secret."""
    return hashlib.sha256(f"headwater:kms:material:{key.key_id}".encode()).hexdigest()


def _check_kind(params: dict[str, Any]) -> None:
    spec, legacy = params.get("KeySpec"), params.get("CustomerMasterKeySpec")
    if spec is not None and legacy is not None:
        raise errors.validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec is deprecated."
        )
    spec = spec or legacy or SYMMETRIC
    if spec != SYMMETRIC:
        raise errors.unsupported(
            f"KeySpec {spec} is not supported: only symmetric encryption keys ({SYMMETRIC})."
        )
    usage = params.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if usage != "ENCRYPT_DECRYPT":
        raise errors.unsupported(f"KeyUsage {usage} is not supported: only ENCRYPT_DECRYPT keys.")
    origin = params.get("Origin") or "AWS_KMS"
    if origin != "AWS_KMS" or params.get("CustomKeyStoreId") or params.get("XksKeyId"):
        raise errors.unsupported(f"Origin {origin} is not supported: only AWS_KMS key material.")
    if params.get("MultiRegion"):
        raise errors.unsupported("Multi-Region keys are not supported.")


def check_policy(policy: str) -> None:
    try:
        document = json.loads(policy)
    except ValueError:
        raise errors.malformed_policy() from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise errors.malformed_policy()


async def create_key(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    _check_kind(params)
    policy = params.get("Policy")
    if policy is not None:
        check_policy(policy)
    key_tags = tags.checked(params.get("Tags") or [])
    key = ring.store.create_key(
        ctx.account, ctx.region, description=params.get("Description") or "", tags=key_tags, policy=policy
    )
    await ring.persist()
    return {"KeyMetadata": metadata(ring, key)}


async def describe_key(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    ref = params["KeyId"]
    lookup.check_ref(ref, aliases=True)
    try:
        # an AWS-managed alias names its key even before a service used it: AWS creates it then
        key = ring.store.resolve(ctx.account, ctx.region, ref)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    if key.region != ctx.region:  # KMS is regional
        raise errors.not_found(f"Key '{key.arn}' does not exist")
    await ring.persist()
    return {"KeyMetadata": metadata(ring, key)}


async def list_keys(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    keys, more = page(ring.store.keys(ctx.account, ctx.region), params)
    return {"Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in keys], **more}


async def enable_key(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "EnableKey")
    if not key.enabled:
        ring.store.set_enabled(key.key_id, True)
        await ring.persist()
    return {}


async def disable_key(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "DisableKey")
    if key.enabled:
        ring.store.set_enabled(key.key_id, False)
        await ring.persist()
    return {}


async def schedule_key_deletion(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    days = params.get("PendingWindowInDays")
    if days is None:
        days = DEFAULT_PENDING_DAYS
    elif days < MIN_PENDING_DAYS:
        raise errors.constraint(
            days, "pendingWindowInDays", f"Member must have value greater than or equal to {MIN_PENDING_DAYS}"
        )
    elif days > MAX_PENDING_DAYS:
        raise errors.constraint(
            days, "pendingWindowInDays", f"Member must have value less than or equal to {MAX_PENDING_DAYS}"
        )
    key = lookup.managed_key(ring, ctx, params["KeyId"], "ScheduleKeyDeletion")
    when = ring.clock.now() + days * DAY_S
    key = ring.store.update(key.key_id, enabled=False, deletion_s=when, pending_days=days)
    await ring.persist()
    return {"KeyId": key.arn, "DeletionDate": when, "KeyState": PENDING_DELETION, "PendingWindowInDays": days}


async def cancel_key_deletion(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = lookup.customer_managed(
        lookup.find(ring, ctx, params["KeyId"], aliases=False), ctx, "CancelKeyDeletion"
    )
    if key.state(ring.clock.now()) != PENDING_DELETION:
        raise errors.invalid_state(f"{key.arn} is not pending deletion.")
    ring.store.update(key.key_id, deletion_s=None, pending_days=None)  # stays disabled, as on AWS
    await ring.persist()
    return {"KeyId": key.arn}


async def update_key_description(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "UpdateKeyDescription")
    ring.store.update(key.key_id, description=params["Description"])
    await ring.persist()
    return {}
