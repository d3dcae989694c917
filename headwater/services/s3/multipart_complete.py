"""CompleteMultipartUpload: the named parts become the object, without copying a byte.

The new version's body is the list of the chosen parts' blobs (with their sizes and counter blocks);
parts the request left out are deleted, as is the body of any version the new one replaces, once
the version list that stopped naming them is durable. Validation, the ETag, the checksum, the
version list update, dropping the upload and the event's outbox entry happen with no await in
between, so a concurrent UploadPart or Abort sees either the upload or the object, never half.

A client that lost the answer may retry: a retry of a completion that just succeeded answers what
the first one did while the object it made is still the key's current version (S3 does the same
for a while), from a small in-memory memo.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from headwater.services.context import RequestContext
from headwater.services.s3 import checksums, conditions, object_acl, object_lock, sse, versions
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import invalid_request, malformed_xml, no_such_upload
from headwater.services.s3.multipart_rules import (
    COMPOSITE,
    DEFAULT_ALGORITHM,
    FULL_OBJECT,
    invalid_part,
    selected_parts,
)
from headwater.services.s3.object_write import BUCKET_KEY
from headwater.services.s3.records import Bucket, ObjectVersion, Part, Upload
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import settle

EVENT = "ObjectCreated:CompleteMultipartUpload"
_MEMO_SIZE = 1024
# (bucket, upload id) -> (the version made, the answer given)
_completed: OrderedDict[tuple[str, str], tuple[ObjectVersion, dict[str, Any]]] = OrderedDict()


async def complete_multipart_upload(
    core: S3Core, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    bucket = lookup(core, params)
    key = params.get("Key") or ""
    upload_id = params.get("UploadId") or ""
    upload = core.store.upload(bucket.name, upload_id)
    if upload is None or upload.key != key:
        return _retried(core, bucket, key, upload_id)
    requested = (params.get("MultipartUpload") or {}).get("Parts") or []
    if not requested:
        raise malformed_xml()
    parts = selected_parts(upload, requested)
    object_checksums, checksum_type = final_checksum(upload, parts, requested, params)
    size = sum(part.size for part in parts)
    declared = params.get("MpuObjectSize")
    if declared is not None and declared != size:
        raise invalid_request(
            f"The provided 'x-amz-mp-object-size' header value {declared} does not match what was computed: {size}"
        )
    listed = core.store.versions(bucket.name, key)
    conditions.check_write(key, versions.current(listed), params)
    owner, grants = object_acl.resolve(bucket, upload.acl, ctx.account)

    now = core.now_ms()
    lock = object_lock.effective(
        bucket, object_lock.Lock(upload.lock_mode, upload.lock_until_ms, upload.legal_hold), now
    )
    version = ObjectVersion(
        key=key,
        version_id=versions.new_version_id(bucket),
        last_modified_ms=now,
        # empty parts store no blob; only the last part may be empty, so the others stay aligned
        blobs=tuple(p.blob_id for p in parts if p.blob_id),
        size=size,
        etag=checksums.multipart_etag([bytes.fromhex(p.md5) for p in parts]),
        content_type=upload.content_type,
        headers=dict(upload.headers),
        metadata=dict(upload.metadata),
        tags=dict(upload.tags),
        storage_class=upload.storage_class,
        checksums=object_checksums,
        checksum_type=checksum_type,
        part_sizes=tuple(p.size for p in parts),
        part_checksums=tuple(dict(p.checksums) for p in parts),
        sse=upload.sse,
        kms_key_id=upload.kms_key_id,
        sealed_key=upload.sealed_key,
        ivs=tuple(p.iv or "" for p in parts if p.blob_id),
        owner=owner,
        acl=grants,
        lock_mode=lock.mode,
        lock_until_ms=lock.until_ms,
        legal_hold=lock.legal_hold,
    )
    new_list, dropped = versions.place(bucket, listed, version)
    used = {p.blob_id for p in parts}
    doomed = [p.blob_id for p in upload.parts.values() if p.blob_id not in used]
    doomed += [blob for old in dropped for blob in old.blobs]
    durable = asyncio.ensure_future(
        settle(
            [
                core.store.set_versions(bucket.name, key, new_list),
                core.store.drop_upload(bucket.name, upload_id),
                core.notifier.emit(bucket, EVENT, version, ctx),
            ]
        )
    )
    result = _answer(bucket, version, ctx)
    _remember(bucket.name, upload_id, version, result)
    await core.store.release(durable, doomed)
    return dict(result)


def final_checksum(
    upload: Upload, parts: Sequence[Part], requested: Sequence[Mapping[str, Any]], params: Mapping[str, Any]
) -> tuple[dict[str, str], str | None]:
    """The object's checksum ({algorithm: value}) and type, after checking what the request says
    about the parts' checksums and the whole object's."""
    algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
    mode = upload.checksum_type or FULL_OBJECT
    sent_type = params.get("ChecksumType")
    if sent_type is not None and upload.checksum_type is not None and sent_type != mode:
        raise invalid_request(
            f"The upload was created using the {mode} checksum mode. The complete request must use the same "
            "checksum mode."
        )
    if upload.checksum_algorithm is not None:
        for entry, part in zip(requested, parts, strict=True):
            sent = entry.get(f"Checksum{algorithm}")
            if sent is None:
                if mode == COMPOSITE:
                    raise invalid_request(
                        f"The upload was created using a {algorithm.lower()} checksum. The complete request must "
                        f"include the checksum for each part. It was missing for part {part.number} in the request."
                    )
                continue
            if sent != part.checksums.get(algorithm):
                raise invalid_part(upload.upload_id, part.number, str(entry.get("ETag", "")).strip('"'))
    if any(algorithm not in part.checksums for part in parts):
        return {}, None  # parts stored before checksums were kept: nothing to combine
    digests = [checksums.decode(algorithm, part.checksums[algorithm]) for part in parts]
    if mode == COMPOSITE:
        value = checksums.composite(algorithm, digests)
    else:
        combined = checksums.combine_full(
            algorithm, [(d, p.size) for d, p in zip(digests, parts, strict=True)]
        )
        value = checksums.encode(algorithm, combined)
    sent_whole = params.get(f"Checksum{algorithm}")
    if sent_whole is not None and sent_whole.split("-", 1)[0] != value.split("-", 1)[0]:
        raise checksums.mismatch(algorithm)
    return {algorithm: value}, mode


def _answer(bucket: Bucket, version: ObjectVersion, ctx: RequestContext) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Location": location(ctx, bucket.name, version.key),
        "Bucket": bucket.name,
        "Key": version.key,
        "ETag": version.etag,
    }
    for algorithm, value in version.checksums.items():
        result[f"Checksum{algorithm}"] = value
    if version.checksum_type:
        result["ChecksumType"] = version.checksum_type
    if versions.is_versioned(bucket):
        result["VersionId"] = version.version_id
    bucket_key = version.headers.get(BUCKET_KEY) == "true"
    result.update(sse.response_fields(version.sse, version.kms_key_id, bucket_key))
    return result


def location(ctx: RequestContext, bucket: str, key: str) -> str:
    """The object's URL in the addressing style the request used (S3 escapes "/" in the key too)."""
    path = quote(key, safe="")
    if ctx.host.startswith(bucket + "."):
        return f"{ctx.scheme}://{ctx.host}/{path}"
    return f"{ctx.scheme}://{ctx.host}/{bucket}/{path}"


def _remember(bucket: str, upload_id: str, version: ObjectVersion, result: dict[str, Any]) -> None:
    _completed[(bucket, upload_id)] = (version, result)
    while len(_completed) > _MEMO_SIZE:
        _completed.popitem(last=False)


def _same(a: ObjectVersion, b: ObjectVersion) -> bool:
    return a.version_id == b.version_id and a.last_modified_ms == b.last_modified_ms and a.etag == b.etag


def _retried(core: S3Core, bucket: Bucket, key: str, upload_id: str) -> dict[str, Any]:
    memo = _completed.get((bucket.name, upload_id))
    if memo is not None:
        version, result = memo
        latest = core.store.latest(bucket.name, key)
        if version.key == key and latest is not None and _same(latest, version):
            return dict(result)
    raise no_such_upload(upload_id)
