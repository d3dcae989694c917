"""ListObjectsV2, ListObjects (v1) and ListObjectVersions.

Theory of operation
-------------------
Keys live in the engine's ordered store (code point order, which is UTF-8 byte order), read in
pages of (key, version list), so a page is a range scan from its marker: O(log n) to find the start
and O(page) to fill it, never a scan of the whole bucket. With a delimiter, the keys that share a prefix up to the delimiter roll up into one
CommonPrefix; the scan then jumps past every key under it at once (to the smallest string greater
than all of them), so a prefix holding a million keys costs one step. Common prefixes count toward
MaxKeys like keys.

A page ends at a marker: the last key or common prefix returned (v2 hides it in an opaque
continuation token; v1 returns it as NextMarker, or leaves the client to use its last key). Resuming
after a marker that lies inside a common prefix skips that whole prefix, so a prefix never repeats
across pages. Because a marker is a position and not a snapshot, keys written after a page was
served still appear in later pages if they sort after it, as in S3.

ListObjects shows keys whose latest version is an object (a delete marker hides the key);
ListObjectVersions shows every version and delete marker, by key, newest first.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from headwater.services.context import RequestContext
from headwater.services.s3 import versions as versioning
from headwater.services.s3.bucket_rules import lookup, owner_of
from headwater.services.s3.errors import invalid_argument
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core
from headwater.services.s3.store import S3Store

Params = dict[str, Any]
MAX_KEYS = 1000
_LAST_CHAR = 0x10FFFF
_TOKEN_PREFIX = b"hw1:"


# -- walking the index --------------------------------------------------------------------------------


def successor(text: str) -> str | None:
    """The smallest string greater than every string that starts with `text` (None: no such one)."""
    while text:
        last = ord(text[-1])
        if last < _LAST_CHAR:
            return text[:-1] + chr(last + 1)
        text = text[:-1]
    return None


def _entries_from(
    store: S3Store, bucket: str, prefix: str, lower: str | None, inclusive: bool
) -> Iterator[tuple[str, list[ObjectVersion]]]:
    """(key, versions) with `prefix`, from `lower` on (or from the start), in order."""
    if inclusive and lower is not None and lower.startswith(prefix):
        found = store.versions(bucket, lower)
        if found:
            yield lower, found
    yield from store.entries(bucket, after=lower, prefix=prefix)


Walked = tuple[bool, str, list[ObjectVersion]]  # (is a common prefix, key or prefix, versions or [])


def walk(
    store: S3Store,
    bucket: str,
    prefix: str,
    after: str | None,
    delimiter: str | None,
    visible: Callable[[list[ObjectVersion]], bool] | None = None,
) -> Iterator[Walked]:
    """(is_prefix, key or common prefix, the key's versions) in listing order, strictly after the
    marker `after`; `visible` filters keys by their versions (a common prefix appears only for a
    visible key under it)."""
    lower, inclusive = after, False
    if delimiter and after is not None and after.startswith(prefix):
        cut = after.find(delimiter, len(prefix))
        if cut >= 0:
            lower, inclusive = successor(after[: cut + len(delimiter)]), True
            if lower is None:
                return
    while True:
        jumped = False
        for key, found in _entries_from(store, bucket, prefix, lower, inclusive):
            if visible is not None and not visible(found):
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    yield True, common, []
                    lower, inclusive = successor(common), True
                    if lower is None:
                        return
                    jumped = True
                    break
            yield False, key, found
        if not jumped:
            return


# -- parameters -----------------------------------------------------------------------------------------


def max_keys(params: Mapping[str, Any]) -> tuple[int, int]:
    """(MaxKeys as echoed, the page size: at most 1000)."""
    value = params.get("MaxKeys")
    if value is None:
        return MAX_KEYS, MAX_KEYS
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", str(value)
        )
    return number, min(number, MAX_KEYS)


def encoder(params: Mapping[str, Any]) -> Callable[[str], str]:
    """EncodingType=url: percent-encoded UTF-8, "/" kept; otherwise values as they are."""
    kind = params.get("EncodingType")
    if kind is None:
        return _same
    if kind != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", str(kind))
    return _url


def _same(value: str) -> str:
    return value


def _url(value: str) -> str:
    return quote(value, safe="/")


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(_TOKEN_PREFIX + marker.encode("utf-8", "surrogatepass")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        if raw.startswith(_TOKEN_PREFIX):
            return raw[len(_TOKEN_PREFIX) :].decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError, UnicodeError):
        pass
    raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token)


def _delimiter(params: Mapping[str, Any]) -> str | None:
    return params.get("Delimiter") or None


# -- entries ------------------------------------------------------------------------------------------------


class _Owners:
    """Owner elements, built once per account per page."""

    def __init__(self, bucket: Bucket) -> None:
        self._default = bucket.account
        self._cache: dict[str, dict[str, str]] = {}

    def __call__(self, version: ObjectVersion) -> dict[str, str]:
        account = version.owner or self._default
        owner = self._cache.get(account)
        if owner is None:
            owner = self._cache[account] = owner_of(account)
        return owner


def _object_entry(version: ObjectVersion, key: str, owners: _Owners | None) -> Params:
    entry: Params = {
        "Key": key,
        "LastModified": versioning.stamp(version.last_modified_ms),
        "ETag": version.etag,
        "Size": version.size,
        "StorageClass": version.storage_class,
    }
    if version.checksums:
        entry["ChecksumAlgorithm"] = list(version.checksums)
        if version.checksum_type:
            entry["ChecksumType"] = version.checksum_type
    if owners is not None:
        entry["Owner"] = owners(version)
    return entry


def _page(
    core: S3Core, bucket: Bucket, params: Params, after: str | None, fetch_owner: bool
) -> tuple[Params, str | None]:
    """The Contents/CommonPrefixes of a ListObjects page and its last marker (None: not truncated)."""
    echoed, size = max_keys(params)
    encode = encoder(params)
    prefix = params.get("Prefix") or ""
    delimiter = _delimiter(params)
    store = core.store

    def visible(found: list[ObjectVersion]) -> bool:
        return bool(found) and not found[0].delete_marker

    owners = _Owners(bucket) if fetch_owner else None
    contents: list[Params] = []
    prefixes: list[Params] = []
    last: str | None = None
    truncated = False
    for position, (is_prefix, item, found) in enumerate(
        walk(store, bucket.name, prefix, after, delimiter, visible)
    ):
        if position == size:
            truncated = size > 0  # S3 answers MaxKeys=0 with an empty, untruncated page
            break
        if is_prefix:
            prefixes.append({"Prefix": encode(item)})
        else:
            contents.append(_object_entry(found[0], encode(item), owners))
        last = item
    result: Params = {
        "Name": bucket.name,
        "Prefix": encode(prefix),
        "MaxKeys": echoed,
        "IsTruncated": truncated,
    }
    if contents:
        result["Contents"] = contents
    if prefixes:
        result["CommonPrefixes"] = prefixes
    if delimiter is not None:
        result["Delimiter"] = encode(delimiter)
    if params.get("EncodingType"):
        result["EncodingType"] = params["EncodingType"]
    result["__count__"] = len(contents) + len(prefixes)
    return result, last if truncated else None


# -- operations --------------------------------------------------------------------------------------


async def list_objects_v2(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    token = params.get("ContinuationToken")
    start_after = params.get("StartAfter")
    after = decode_token(token) if token is not None else start_after or None
    result, last = _page(core, bucket, params, after, bool(params.get("FetchOwner")))
    result["KeyCount"] = result.pop("__count__")
    if token is not None:
        result["ContinuationToken"] = token
    if start_after and token is None:  # S3 leaves StartAfter out once a token pages on
        result["StartAfter"] = encoder(params)(start_after)
    if last is not None:
        result["NextContinuationToken"] = encode_token(last)
    return result


async def list_objects(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    marker = params.get("Marker") or ""
    result, last = _page(core, bucket, params, marker or None, True)
    del result["__count__"]
    result["Marker"] = encoder(params)(marker)
    if last is not None and _delimiter(params) is not None:
        result["NextMarker"] = encoder(params)(last)
    return result


def _version_entry(version: ObjectVersion, key: str, latest: bool, owners: _Owners) -> Params:
    if version.delete_marker:
        return {
            "Owner": owners(version),
            "Key": key,
            "VersionId": version.version_id,
            "IsLatest": latest,
            "LastModified": versioning.stamp(version.last_modified_ms),
        }
    entry = _object_entry(version, key, owners)
    entry["VersionId"] = version.version_id
    entry["IsLatest"] = latest
    return entry


def _versions_after(
    store: S3Store,
    bucket: str,
    prefix: str,
    key_marker: str | None,
    version_marker: str | None,
    delimiter: str | None,
) -> Iterator[tuple[str, ObjectVersion | None, bool]]:
    """(key or common prefix, version or None for a prefix, is latest) after the markers."""
    if key_marker is not None and version_marker is not None and key_marker.startswith(prefix):
        rolled_up = delimiter is not None and key_marker.find(delimiter, len(prefix)) >= 0
        found = store.versions(bucket, key_marker)
        position = next((i for i, v in enumerate(found) if v.version_id == version_marker), None)
        if not rolled_up and position is not None:
            for index in range(position + 1, len(found)):
                yield key_marker, found[index], index == 0
    for is_prefix, item, found_versions in walk(store, bucket, prefix, key_marker, delimiter):
        if is_prefix:
            yield item, None, False
            continue
        for index, version in enumerate(found_versions):
            yield item, version, index == 0


async def list_object_versions(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    echoed, size = max_keys(params)
    encode = encoder(params)
    prefix = params.get("Prefix") or ""
    delimiter = _delimiter(params)
    key_marker = params.get("KeyMarker") or None
    version_marker = params.get("VersionIdMarker") or None
    if version_marker is not None:
        if key_marker is None:
            raise invalid_argument(
                "A version-id marker cannot be specified without a key marker.",
                "version-id-marker",
                version_marker,
            )
        versioning.check_version_id(version_marker, "version-id-marker")
    owners = _Owners(bucket)
    found_versions: list[Params] = []
    markers: list[Params] = []
    prefixes: list[Params] = []
    truncated = False
    last: tuple[str, str | None] | None = None
    walked = _versions_after(core.store, bucket.name, prefix, key_marker, version_marker, delimiter)
    for position, (item, version, latest) in enumerate(walked):
        if position == size:
            truncated = size > 0
            break
        if version is None:
            prefixes.append({"Prefix": encode(item)})
            last = (item, None)
        else:
            entry = _version_entry(version, encode(item), latest, owners)
            (markers if version.delete_marker else found_versions).append(entry)
            last = (item, version.version_id)
    result: Params = {
        "Name": bucket.name,
        "Prefix": encode(prefix),
        "KeyMarker": encode(key_marker or ""),
        "VersionIdMarker": version_marker or "",
        "MaxKeys": echoed,
        "IsTruncated": truncated,
    }
    if found_versions:
        result["Versions"] = found_versions
    if markers:
        result["DeleteMarkers"] = markers
    if prefixes:
        result["CommonPrefixes"] = prefixes
    if delimiter is not None:
        result["Delimiter"] = encode(delimiter)
    if params.get("EncodingType"):
        result["EncodingType"] = params["EncodingType"]
    if truncated and last is not None:
        result["NextKeyMarker"] = encode(last[0])
        if last[1] is not None:
            result["NextVersionIdMarker"] = last[1]
    return result


OPERATIONS = {
    "ListObjectsV2": list_objects_v2,
    "ListObjects": list_objects,
    "ListObjectVersions": list_object_versions,
}
