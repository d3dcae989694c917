"""Multipart uploads: create, upload a part (or copy one from an object), abort; the operation table.

Theory of operation
-------------------
CreateMultipartUpload fixes everything the object will carry (metadata, tags, content headers,
storage class, checksum algorithm and type, encryption with the upload's own sealed data key) in
an `Upload` record. Each part streams into a blob of its own (encrypted under the upload's key with
a per-part counter block), then the part is recorded with a read-modify-write of the upload that
has no await in between, so parts uploaded concurrently never lose each other. The upload may have
been aborted or completed while a part streamed in: the part's blob is then deleted and the request
fails with NoSuchUpload. Uploading a part number again replaces the part; the old blob is deleted
once the record that forgot it is durable. Completion (multipart_complete.py) turns the parts'
blobs into the object's body without copying them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3 import bodies, checksums, conditions, object_lock, sse
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.copy import source_version
from headwater.services.s3.errors import (
    invalid_argument,
    invalid_request,
    no_such_upload,
    s3_error,
)
from headwater.services.s3.multipart_complete import complete_multipart_upload
from headwater.services.s3.multipart_list import list_multipart_uploads, list_parts
from headwater.services.s3.multipart_rules import (
    COMPOSITE,
    MAX_COPY_SOURCE,
    MAX_PART_SIZE,
    check_part_number,
    checksum_fields,
    checksum_mode,
    find_upload,
    mismatched_part_checksum,
    new_upload_id,
    part_algorithm,
)
from headwater.services.s3.object_write import BUCKET_KEY, WriteFields, check_key, discard
from headwater.services.s3.records import Part, Upload
from headwater.services.s3.service import S3Core

# -- create -----------------------------------------------------------------------------------------


async def create_multipart_upload(
    core: S3Core, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    bucket = lookup(core, params)
    key = params.get("Key") or ""
    check_key(key)
    algorithm, checksum_type = checksum_mode(params.get("ChecksumAlgorithm"), params.get("ChecksumType"))
    fields = WriteFields.of(bucket, params, core.now_ms())
    sealing = await sse.choose(core, bucket, params, ctx.account, ctx.region)
    bucket = core.bucket(bucket.name)  # it may have gone while the key was sealed
    now = core.now_ms()
    upload = Upload(
        upload_id=new_upload_id(now),
        bucket=bucket.name,
        key=key,
        initiated_ms=now,
        owner=ctx.account,
        content_type=fields.content_type,
        headers={**fields.headers, BUCKET_KEY: "true"} if sealing.bucket_key_enabled else fields.headers,
        metadata=fields.metadata,
        tags=fields.tags,
        storage_class=fields.storage_class,
        checksum_algorithm=algorithm,
        checksum_type=checksum_type,
        sse=sealing.sse,
        kms_key_id=sealing.kms_key_id,
        sealed_key=sealing.sealed_key,
        acl=fields.acl,
        lock_mode=fields.lock.mode,
        lock_until_ms=fields.lock.until_ms,
        legal_hold=fields.lock.legal_hold,
    )
    await core.store.put_upload(upload)
    result: dict[str, Any] = {"Bucket": bucket.name, "Key": key, "UploadId": upload.upload_id}
    result.update(sse.response_fields(sealing.sse, sealing.kms_key_id, sealing.bucket_key_enabled))
    if algorithm:
        result["ChecksumAlgorithm"] = algorithm
        result["ChecksumType"] = checksum_type
    return result


# -- parts ------------------------------------------------------------------------------------------


async def upload_part(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    number = check_part_number(params.get("PartNumber"))
    upload = find_upload(core, bucket.name, params.get("UploadId"), params.get("Key"))
    sse.check_customer_key_read(params)
    body = params.get("Body")
    length = params.get("ContentLength")
    if length is None and body is not None:
        length = getattr(body, "length", None)
    if length is not None and length > MAX_PART_SIZE:
        raise bodies.entity_too_large(length, MAX_PART_SIZE)
    request = bodies.checksum_request(params)
    expected = part_algorithm(upload)
    if upload.checksum_algorithm and request.algorithms and expected not in request.algorithms:
        raise mismatched_part_checksum(expected, sorted(request.algorithms)[0])
    sealing = await sse.unseal(core, upload.sse, upload.kms_key_id, upload.sealed_key)
    stored = await bodies.store_body(
        core,
        body if body is not None else b"",
        length=length,
        algorithms=(expected,),
        sse=sealing,
        request=request,
        max_size=MAX_PART_SIZE,
    )
    sent = set(request.algorithms) | _trailer_algorithms(body)
    if upload.checksum_type == COMPOSITE and expected not in sent:
        # a composite checksum needs the client's own checksum of every part
        await discard(core, stored)
        raise mismatched_part_checksum(expected, min(sent) if sent else None)
    requested = object_lock.Lock(upload.lock_mode, upload.lock_until_ms, upload.legal_hold)
    if not sent and request.content_md5 is None and object_lock.needs_digest(bucket, requested):
        await discard(core, stored)
        raise object_lock.missing_digest("Put Part")
    part = await _record_part(core, upload, number, stored)
    result: dict[str, Any] = {"ETag": part.etag}
    for algorithm in sorted(sent | ({upload.checksum_algorithm} if upload.checksum_algorithm else set())):
        result.update(checksum_fields(part.checksums, algorithm))
    result.update(_sse_fields(upload))
    return result


async def upload_part_copy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    number = check_part_number(params.get("PartNumber"))
    upload = find_upload(core, bucket.name, params.get("UploadId"), params.get("Key"))
    source, _, source_versioned = source_version(core, params)
    start, end = copy_range(params.get("CopySourceRange"), source.size)
    sealing = await sse.unseal(core, upload.sse, upload.kms_key_id, upload.sealed_key)
    stored = await bodies.store_body(
        core,
        bodies.read_body(core, source, start, end),
        length=end - start,
        algorithms=(part_algorithm(upload),),
        sse=sealing,
        max_size=MAX_PART_SIZE,
    )
    part = await _record_part(core, upload, number, stored)
    copied: dict[str, Any] = {
        "ETag": part.etag,
        "LastModified": dt.datetime.fromtimestamp(part.last_modified_ms / 1000, dt.UTC),
    }
    copied.update(checksum_fields(part.checksums, upload.checksum_algorithm))
    result: dict[str, Any] = {"CopyPartResult": copied}
    if source_versioned:
        result["CopySourceVersionId"] = source.version_id
    result.update(_sse_fields(upload))
    return result


def _sse_fields(upload: Upload) -> dict[str, Any]:
    return sse.response_fields(upload.sse, upload.kms_key_id, upload.headers.get(BUCKET_KEY) == "true")


async def _record_part(core: S3Core, upload: Upload, number: int, stored: bodies.StoredBody) -> Part:
    """Adds the stored part to the upload as it is now (it may have changed, or gone, meanwhile)."""
    part = Part(
        number=number,
        blob_id=stored.blob_id,
        size=stored.size,
        etag=stored.etag,
        last_modified_ms=core.now_ms(),
        md5=stored.md5_hex,
        checksums=stored.checksums,
        iv=stored.iv,
    )
    current = core.store.upload(upload.bucket, upload.upload_id)
    if current is None:
        if part.blob_id:
            await core.store.blobs.delete([part.blob_id])
        raise no_such_upload(upload.upload_id)
    replaced = current.parts.get(part.number)
    written = core.store.put_upload(replace(current, parts={**current.parts, part.number: part}))
    await core.store.release(written, [replaced.blob_id] if replaced is not None else [])
    return part


def _trailer_algorithms(body: Any) -> set[str]:
    trailers = getattr(body, "trailers", None) or {}
    return {alg for alg in map(checksums.algorithm_of, trailers) if alg is not None}


# -- copy sources -----------------------------------------------------------------------------------


def copy_range(header: str | None, size: int) -> tuple[int, int]:
    """[start, end) of x-amz-copy-source-range "bytes=first-last" (both inclusive, within the
    source); the whole source when absent, which must then be at most 5 GiB."""
    if header is None:
        if size > MAX_COPY_SOURCE:
            raise invalid_request(
                "The specified copy source is larger than the maximum allowable size for a copy source: "
                f"{MAX_COPY_SOURCE}"
            )
        return 0, size
    first, dash, last = header.strip().removeprefix("bytes=").partition("-")
    if not header.strip().startswith("bytes=") or not dash or not _offset(first) or not _offset(last):
        raise invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last "
            "are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            header,
        )
    start, stop = int(first), int(last) + 1
    if start >= stop or stop > size:
        raise invalid_argument(
            f"Range specified is not valid for source object of size: {size}",
            "x-amz-copy-source-range",
            header,
        )
    return start, stop


def _offset(text: str) -> bool:
    # ASCII digits only (isdigit() takes "²", which int() refuses), and few enough for int()
    return text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 19


# -- abort ------------------------------------------------------------------------------------------


async def abort_multipart_upload(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    upload = find_upload(core, bucket.name, params.get("UploadId"), params.get("Key"))
    initiated = params.get("IfMatchInitiatedTime")
    if initiated is not None and not _same_second(initiated, upload.initiated_ms):
        raise s3_error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            Condition="x-amz-if-match-initiated-time",
        )
    await abort_upload(core, upload)
    return {}


async def abort_upload(core: S3Core, upload: Upload) -> None:
    """Drops an upload and deletes its parts' blobs (also what lifecycle's
    AbortIncompleteMultipartUpload does)."""
    written = core.store.drop_upload(upload.bucket, upload.upload_id)
    await core.store.release(written, [part.blob_id for part in upload.parts.values()])


def _same_second(value: Any, initiated_ms: int) -> bool:
    seconds = conditions.as_seconds(value)
    return seconds is not None and seconds == initiated_ms // 1000


OPERATIONS = {
    "CreateMultipartUpload": create_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}
