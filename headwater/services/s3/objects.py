"""S3's object operations, gathered from the modules that implement them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.s3 import (
    copy,
    deletes,
    object_info,
    object_read,
    object_restore,
    object_retention,
    object_tags,
    object_write,
)

OPERATIONS: dict[str, Callable[..., Awaitable[Any]]] = {
    "PutObject": object_write.put_object,
    "GetObject": object_read.get_object,
    "HeadObject": object_read.head_object,
    "DeleteObject": deletes.delete_object,
    "DeleteObjects": deletes.delete_objects,
    "CopyObject": copy.copy_object,
    "GetObjectTagging": object_tags.get_object_tagging,
    "PutObjectTagging": object_tags.put_object_tagging,
    "DeleteObjectTagging": object_tags.delete_object_tagging,
    "GetObjectAttributes": object_info.get_object_attributes,
    "GetObjectAcl": object_info.get_object_acl,
    "PutObjectAcl": object_info.put_object_acl,
    "RestoreObject": object_restore.restore_object,
    "GetObjectRetention": object_retention.get_object_retention,
    "PutObjectRetention": object_retention.put_object_retention,
    "GetObjectLegalHold": object_retention.get_object_legal_hold,
    "PutObjectLegalHold": object_retention.put_object_legal_hold,
}
