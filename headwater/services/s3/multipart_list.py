"""ListParts and ListMultipartUploads.

Uploads list by key, then by initiation: upload ids begin with their creation stamp in an alphabet
that sorts as ASCII (see `multipart_rules.new_upload_id`), so "ordered by initiation" and S3's
"upload ids lexicographically greater than upload-id-marker" are the same order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import owner_of
from headwater.services.s3.errors import invalid_argument
from headwater.services.s3.multipart_rules import checksum_fields, find_upload
from headwater.services.s3.records import Upload
from headwater.services.s3.service import S3Core

MAX_PAGE = 1000
MAX_INT = 2**31 - 1  # S3 reads both numbers as 32-bit signed integers


def _page_size(value: Any, name: str) -> int:
    if value is None:
        return MAX_PAGE
    if not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise invalid_argument(
            f"Argument {name} must be an integer between 0 and 2147483647", name, str(value)
        )
    return min(value, MAX_PAGE)


def _time(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


async def list_parts(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = core.bucket(params.get("Bucket"))
    upload = find_upload(core, bucket.name, params.get("UploadId"), params.get("Key"))
    max_parts = _page_size(params.get("MaxParts"), "max-parts")
    marker = params.get("PartNumberMarker") or 0
    if not isinstance(marker, int) or not 0 <= marker <= MAX_INT:
        raise invalid_argument(
            "Argument part-number-marker must be an integer between 0 and 2147483647",
            "part-number-marker",
            str(marker),
        )
    numbers = sorted(n for n in upload.parts if n > marker)
    page = numbers[:max_parts]
    truncated = len(numbers) > len(page)
    parts = []
    for number in page:
        part = upload.parts[number]
        entry: dict[str, Any] = {
            "PartNumber": number,
            "LastModified": _time(part.last_modified_ms),
            "ETag": part.etag,
            "Size": part.size,
        }
        entry.update(checksum_fields(part.checksums, upload.checksum_algorithm))
        parts.append(entry)
    result: dict[str, Any] = {
        "Bucket": bucket.name,
        "Key": upload.key,
        "UploadId": upload.upload_id,
        "PartNumberMarker": marker,
        "NextPartNumberMarker": page[-1] if page else 0,
        "MaxParts": max_parts,
        "IsTruncated": truncated,
        "Parts": parts,
        "Initiator": owner_of(upload.owner),
        "Owner": owner_of(upload.owner),
        "StorageClass": upload.storage_class,
    }
    if upload.checksum_algorithm:
        result["ChecksumAlgorithm"] = upload.checksum_algorithm
        result["ChecksumType"] = upload.checksum_type
    return result


async def list_multipart_uploads(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = core.bucket(params.get("Bucket"))
    max_uploads = _page_size(params.get("MaxUploads"), "max-uploads")
    prefix = params.get("Prefix") or ""
    delimiter = params.get("Delimiter") or ""
    key_marker = params.get("KeyMarker") or ""
    id_marker = params.get("UploadIdMarker") or ""
    encode = params.get("EncodingType") == "url"
    uploads = sorted(core.store.uploads(bucket.name), key=lambda u: (u.key, u.upload_id))

    rows: list[Upload | str] = []  # uploads and common prefixes, in listing order
    truncated = False
    last_prefix = None
    for upload in uploads:
        key = upload.key
        if not key.startswith(prefix) or not _after_marker(upload, key_marker, id_marker, delimiter):
            continue
        common = _common_prefix(key, prefix, delimiter)
        if common is not None and common == last_prefix:
            continue
        if len(rows) == max_uploads:
            truncated = True
            break
        if common is not None:
            rows.append(common)
            last_prefix = common
        else:
            rows.append(upload)

    name = (lambda text: quote(text, safe="/")) if encode else (lambda text: text)
    result: dict[str, Any] = {
        "Bucket": bucket.name,
        "KeyMarker": name(key_marker),
        "UploadIdMarker": id_marker,
        "MaxUploads": max_uploads,
        "IsTruncated": truncated,
        "Uploads": [_upload_entry(u, name) for u in rows if isinstance(u, Upload)],
        "CommonPrefixes": [{"Prefix": name(p)} for p in rows if isinstance(p, str)],
    }
    if prefix:
        result["Prefix"] = name(prefix)
    if delimiter:
        result["Delimiter"] = name(delimiter)
    if encode:
        result["EncodingType"] = "url"
    if truncated and rows:
        last = rows[-1]
        if isinstance(last, Upload):
            result["NextKeyMarker"] = name(last.key)
            result["NextUploadIdMarker"] = last.upload_id
        else:
            result["NextKeyMarker"] = name(last)
            result["NextUploadIdMarker"] = ""
    return result


def _after_marker(upload: Upload, key_marker: str, id_marker: str, delimiter: str) -> bool:
    """Whether the upload comes after (key-marker, upload-id-marker). A key marker that is a common
    prefix (it ends with the delimiter) also skips every key under it: they were rolled up."""
    if not key_marker:
        return True
    if delimiter and key_marker.endswith(delimiter) and upload.key.startswith(key_marker):
        return False
    if upload.key == key_marker:
        return bool(id_marker) and upload.upload_id > id_marker
    return upload.key > key_marker


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return None if at < 0 else key[: at + len(delimiter)]


def _upload_entry(upload: Upload, name: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "UploadId": upload.upload_id,
        "Key": name(upload.key),
        "Initiated": _time(upload.initiated_ms),
        "StorageClass": upload.storage_class,
        "Owner": owner_of(upload.owner),
        "Initiator": owner_of(upload.owner),
    }
    if upload.checksum_algorithm:
        entry["ChecksumAlgorithm"] = upload.checksum_algorithm
        entry["ChecksumType"] = upload.checksum_type
    return entry
