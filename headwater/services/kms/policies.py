"""Key policies: ListKeyPolicies, GetKeyPolicy, PutKeyPolicy.

Each key has one policy, named `default`. Until PutKeyPolicy replaces it, it is the policy AWS
gives a key created without one: the account's root may do anything with the key. Policies are
stored and returned, not enforced (Headwater has no IAM).
"""

from __future__ import annotations

import json
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kms import errors, keys, lookup
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.paging import page
from headwater.services.kms.records import Key

POLICY_NAME = "default"


def default_policy(key: Key) -> str:
    document = {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{key.account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    return json.dumps(document, indent=2)


def _check_name(params: dict[str, Any]) -> None:
    name = params.get("PolicyName") or POLICY_NAME
    if name != POLICY_NAME:
        raise errors.not_found(f"Policy {name} is not found.")


async def list_key_policies(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    lookup.find(ring, ctx, params["KeyId"], aliases=False)
    names, more = page([POLICY_NAME], params)
    return {"PolicyNames": list(names), **more}


async def get_key_policy(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.find(ring, ctx, params["KeyId"], aliases=False)
    _check_name(params)
    return {"Policy": key.policy or default_policy(key), "PolicyName": POLICY_NAME}


async def put_key_policy(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.managed_key(ring, ctx, params["KeyId"], "PutKeyPolicy")
    _check_name(params)
    keys.check_policy(params["Policy"])
    ring.store.update(key.key_id, policy=params["Policy"])
    await ring.persist()
    return {}
