"""Finding the key a request names, with KMS's errors, and the checks most operations share.

Reference forms: a key id (a UUID, or `mrk-` and 32 hex digits), a key ARN, an alias name
(`alias/...`) or an alias ARN. Operations that manage a key take only a key id or key ARN, as
AWS documents; the cryptographic ones and DescribeKey take aliases too. A reference that is none
of these is `Invalid keyId <ref>`, before any lookup.
"""

from __future__ import annotations

import re

from headwater.services.context import RequestContext
from headwater.services.kms import errors
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.records import PENDING_DELETION, Key
from headwater.services.ports import KeyRingError

_KEY_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-f]{32}"
)
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(.+)")
_ALIAS_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:alias/.+")


def check_ref(ref: str, *, aliases: bool) -> None:
    """Raises `Invalid keyId` for a reference of no accepted form."""
    if _KEY_ID.fullmatch(ref):
        return
    match = _KEY_ARN.fullmatch(ref)
    if match is not None and _KEY_ID.fullmatch(match.group(1)):
        return
    if aliases and (ref.startswith("alias/") or _ALIAS_ARN.fullmatch(ref)):
        return
    raise errors.invalid_key_id(ref)


def find(ring: LocalKeyRing, ctx: RequestContext, ref: str, *, aliases: bool = True) -> Key:
    """The key `ref` names as seen by the caller, in any state but deleted (NotFoundException)."""
    check_ref(ref, aliases=aliases)
    try:
        key = ring.store.find(ctx.account, ctx.region, ref)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    if key.region != ctx.region:  # KMS is regional: an ARN of another region names nothing here
        raise errors.not_found(f"Key '{key.arn}' does not exist")
    return key


def usable(ring: LocalKeyRing, ctx: RequestContext, ref: str) -> Key:
    """The key `ref` names, if it can encrypt and decrypt now (Disabled, KMSInvalidState...)."""
    key = find(ring, ctx, ref)
    try:
        return ring.store.check_usable(key)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None


def not_pending(ring: LocalKeyRing, key: Key) -> Key:
    """Raises KMSInvalidStateException for a key pending deletion."""
    if key.state(ring.clock.now()) == PENDING_DELETION:
        raise errors.pending_deletion(key.arn)
    return key


def customer_managed(key: Key, ctx: RequestContext, action: str) -> Key:
    """Raises AccessDenied for an AWS-managed key, which only its service may manage."""
    if key.aws_managed:
        raise errors.access_denied(ctx.account, action, key.arn)
    return key


def managed_key(ring: LocalKeyRing, ctx: RequestContext, ref: str, action: str) -> Key:
    """A customer key named by key id or ARN, not pending deletion: what most management calls take."""
    key = customer_managed(find(ring, ctx, ref, aliases=False), ctx, action)
    return not_pending(ring, key)
