"""KMS aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias is `alias/` and 1-250 of `[a-zA-Z0-9/_-]`; `alias/aws/` is reserved for the aliases of
AWS-managed keys, which AWS creates (here: when a service first uses `alias/aws/kinesis`,
`alias/aws/sqs` or `alias/aws/s3`) and nobody may create, move or delete. An alias points at a
customer key of the same account and region, named by key id or key ARN (never by another alias).
When a key is deleted, its aliases go with it.
"""

from __future__ import annotations

import re
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kms import errors, lookup
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.keystore import AWS_MANAGED_PREFIX, MANAGED_ALIASES
from headwater.services.kms.paging import page
from headwater.services.kms.records import Alias, Key
from headwater.services.ports import KeyRingError

_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}")


def _check_name(name: str, action: str, ctx: RequestContext) -> None:
    if not name.startswith("alias/"):
        raise errors.validation(
            'Alias must start with the prefix "alias/". '
            "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if name.startswith(AWS_MANAGED_PREFIX):
        raise AwsError(
            "NotAuthorizedException",
            f"User: arn:aws:iam::{ctx.account}:root is not authorized to perform: kms:{action} on an alias "
            f"with the reserved prefix {AWS_MANAGED_PREFIX}",
        )
    if not _NAME.fullmatch(name):
        raise errors.validation(f"{name} contains invalid characters for an alias")


def _target(ring: LocalKeyRing, ctx: RequestContext, ref: str, action: str) -> Key:
    if ref.startswith("alias/") or ":alias/" in ref:
        raise errors.validation("Aliases must refer to keys. Not aliases")
    key = lookup.find(ring, ctx, ref, aliases=False)
    lookup.customer_managed(key, ctx, action)
    return lookup.not_pending(ring, key)


async def create_alias(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name, "CreateAlias", ctx)
    key = _target(ring, ctx, params["TargetKeyId"], "CreateAlias")
    try:
        ring.store.create_alias(ctx.account, ctx.region, name, key.key_id)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    await ring.persist()
    return {}


async def update_alias(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name, "UpdateAlias", ctx)
    key = _target(ring, ctx, params["TargetKeyId"], "UpdateAlias")
    try:
        ring.store.update_alias(ctx.account, ctx.region, name, key.key_id)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    await ring.persist()
    return {}


async def delete_alias(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name, "DeleteAlias", ctx)
    try:
        ring.store.delete_alias(ctx.account, ctx.region, name)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    await ring.persist()
    return {}


async def list_aliases(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    records = ring.store.alias_records(ctx.account, ctx.region)
    aliases: list[Alias] = sorted(records, key=lambda a: a.name)
    ref = params.get("KeyId")
    if ref is not None:
        key = lookup.find(ring, ctx, ref, aliases=False)
        aliases = [a for a in aliases if a.key_id == key.key_id]
    else:
        # AWS lists its predefined aliases before their keys exist, without a TargetKeyId
        named = {a.name for a in aliases}
        predefined = [
            Alias(ctx.account, ctx.region, name, "") for name in MANAGED_ALIASES if name not in named
        ]
        aliases = sorted([*aliases, *predefined], key=lambda a: a.name)
    chosen, more = page(aliases, params)
    return {"Aliases": [_entry(a) for a in chosen], **more}


def _entry(alias: Alias) -> dict[str, Any]:
    if not alias.key_id:
        return {"AliasName": alias.name, "AliasArn": alias.arn}
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.key_id,
        "CreationDate": alias.created_s,
        "LastUpdatedDate": alias.updated_s,
    }
