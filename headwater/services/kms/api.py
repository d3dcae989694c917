"""AWS Key Management Service: the operations users call, from the botocore `kms` model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kms import aliases, crypto, keys, policies, rotation, tags
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.operations import ServiceApi

Handler = Callable[[LocalKeyRing, dict[str, Any], RequestContext], Awaitable[Any]]

OPERATIONS: dict[str, Handler] = {
    "CancelKeyDeletion": keys.cancel_key_deletion,
    "CreateAlias": aliases.create_alias,
    "CreateKey": keys.create_key,
    "Decrypt": crypto.decrypt,
    "DeleteAlias": aliases.delete_alias,
    "DescribeKey": keys.describe_key,
    "DisableKey": keys.disable_key,
    "DisableKeyRotation": rotation.disable_key_rotation,
    "EnableKey": keys.enable_key,
    "EnableKeyRotation": rotation.enable_key_rotation,
    "Encrypt": crypto.encrypt,
    "GenerateDataKey": crypto.generate_data_key,
    "GenerateDataKeyWithoutPlaintext": crypto.generate_data_key_without_plaintext,
    "GenerateRandom": crypto.generate_random,
    "GetKeyPolicy": policies.get_key_policy,
    "GetKeyRotationStatus": rotation.get_key_rotation_status,
    "ListAliases": aliases.list_aliases,
    "ListKeyPolicies": policies.list_key_policies,
    "ListKeyRotations": rotation.list_key_rotations,
    "ListKeys": keys.list_keys,
    "ListResourceTags": tags.list_resource_tags,
    "PutKeyPolicy": policies.put_key_policy,
    "ReEncrypt": crypto.re_encrypt,
    "ScheduleKeyDeletion": keys.schedule_key_deletion,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "UpdateAlias": aliases.update_alias,
    "UpdateKeyDescription": keys.update_key_description,
}


class KmsApi(ServiceApi):
    def __init__(self, ring: LocalKeyRing) -> None:
        super().__init__(ring, OPERATIONS)
