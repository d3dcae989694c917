"""PostObject: browser form uploads (HTML forms, `generate_presigned_post`).

The form's fields are read first and checked against its signed policy (post_policy) before a byte
of the file is stored; the file then streams into the blob store like a PUT body, and the policy's
content-length-range is checked once its size is known (the blob is deleted if it fails). The
fields give the object what a PUT's headers would: Content-Type and the other content headers,
x-amz-meta-*, tagging (an XML document in a field), storage class, encryption, ACL, checksums. The
answer is a redirect (success_action_redirect), or the success_action_status: 204 (the default),
200, or 201 with a PostResponse document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

from headwater.config import account_for_access_key
from headwater.protocol.auth import post_policy
from headwater.protocol.errors import AwsError
from headwater.services.context import RawResponse, RequestContext
from headwater.services.s3 import sse, versions
from headwater.services.s3.bodies import MAX_PUT_SIZE, checksum_request, store_body
from headwater.services.s3.errors import invalid_argument, malformed_xml, s3_error
from headwater.services.s3.multipart_complete import location
from headwater.services.s3.object_write import WriteFields, check_key, commit_version, discard, new_version
from headwater.services.s3.post_form import PostForm, boundary_of
from headwater.services.s3.records import ObjectVersion
from headwater.services.s3.service import S3Core

EVENT = "ObjectCreated:Post"
# form fields (lower-case) -> the PutObject members they stand for
FIELD_MEMBERS = {
    "acl": "ACL",
    "cache-control": "CacheControl",
    "content-type": "ContentType",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-language": "ContentLanguage",
    "content-md5": "ContentMD5",
    "expires": "Expires",
    "x-amz-storage-class": "StorageClass",
    "x-amz-website-redirect-location": "WebsiteRedirectLocation",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "x-amz-server-side-encryption-customer-key": "SSECustomerKey",
    "x-amz-server-side-encryption-customer-key-md5": "SSECustomerKeyMD5",
    "x-amz-checksum-algorithm": "ChecksumAlgorithm",
    "x-amz-checksum-crc32": "ChecksumCRC32",
    "x-amz-checksum-crc32c": "ChecksumCRC32C",
    "x-amz-checksum-crc64nvme": "ChecksumCRC64NVME",
    "x-amz-checksum-sha1": "ChecksumSHA1",
    "x-amz-checksum-sha256": "ChecksumSHA256",
}
STATUSES = {"200": 200, "201": 201, "204": 204}


async def post_object(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> RawResponse:
    bucket = core.bucket(params.get("Bucket"))
    form = PostForm(boundary_of(params.get("ContentType") or ""), params["Body"])
    await form.read_fields()
    if not form.file_started:
        raise invalid_argument("POST requires exactly one file upload per request.", "file", "0")
    strict = core.config.auth == "strict"
    policy = post_policy.check_fields(
        form.fields,
        bucket.name,
        core.clock.now(),
        core.config.credentials.get if strict else None,
        filename=form.filename or "",
    )
    if strict and policy.access_key is None:
        raise s3_error("AccessDenied", "Access Denied", 403)
    owner = (
        account_for_access_key(policy.access_key, core.config.account_id)
        if policy.access_key
        else ctx.account
    )
    key = policy.key
    if not key:
        raise invalid_argument("User key must have a length greater than 0.", "key", "")
    check_key(key)
    fields = _lower(form.fields)
    write_params = form_params(fields)
    write = WriteFields.of(bucket, write_params, core.now_ms())
    request = checksum_request(write_params)
    sealing = await sse.choose(core, bucket, write_params, owner, ctx.region)
    # a policy's maximum stops an oversized file as it streams, not after it is stored
    limit = MAX_PUT_SIZE if policy.max_size is None else min(policy.max_size, MAX_PUT_SIZE)
    stored = await store_body(core, form.file(), length=None, sse=sealing, request=request, max_size=limit)
    try:
        post_policy.check_size(policy, stored.size)
        await form.drain()
        bucket = core.bucket(bucket.name)  # gone while the file streamed?
    except AwsError:
        await discard(core, stored)
        raise
    version = new_version(core, bucket, key, stored, write, sealing, owner, stored.checksums)
    await commit_version(core, bucket.name, version, EVENT, ctx)
    return _response(ctx, bucket.name, version, fields, form.filename or "", versions.is_versioned(bucket))


def _lower(fields: dict[str, str]) -> dict[str, str]:
    lowered: dict[str, str] = {}
    for name, value in fields.items():
        lowered.setdefault(name.lower(), value)
    return lowered


def form_params(fields: dict[str, str]) -> dict[str, Any]:
    """The PutObject members a form's (lower-cased) fields stand for."""
    params: dict[str, Any] = {
        member: fields[name] for name, member in FIELD_MEMBERS.items() if name in fields
    }
    bucket_key = fields.get("x-amz-server-side-encryption-bucket-key-enabled")
    if bucket_key is not None:
        params["BucketKeyEnabled"] = bucket_key.lower() == "true"
    metadata = {
        name[len("x-amz-meta-") :]: value for name, value in fields.items() if name.startswith("x-amz-meta-")
    }
    if metadata:
        params["Metadata"] = metadata
    if fields.get("tagging"):
        params["Tagging"] = urlencode(parse_tagging_document(fields["tagging"]))
    return params


def parse_tagging_document(text: str) -> list[tuple[str, str]]:
    """The "tagging" field: <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise malformed_xml() from None
    pairs = []
    for tag in root.iter():
        if _local(tag.tag) != "Tag":
            continue
        children = {_local(child.tag): child.text or "" for child in tag}
        if "Key" not in children:
            raise malformed_xml()
        pairs.append((children["Key"], children.get("Value", "")))
    return pairs


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


SSE_HEADERS = {
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
}


def _response(
    ctx: RequestContext,
    bucket: str,
    version: ObjectVersion,
    fields: dict[str, str],
    filename: str,
    versioned: bool,
) -> RawResponse:
    url = location(ctx, bucket, version.key)
    headers = [("ETag", version.etag)]
    if versioned:
        headers.append(("x-amz-version-id", version.version_id))
    for member, value in sse.response_fields(version.sse, version.kms_key_id).items():
        if member in SSE_HEADERS:
            headers.append((SSE_HEADERS[member], str(value)))
    redirect = fields.get("success_action_redirect") or fields.get("redirect") or ""
    redirect = redirect.replace("${filename}", filename)
    if redirect.startswith(("http://", "https://")):
        query = urlencode({"bucket": bucket, "key": version.key, "etag": version.etag})
        return RawResponse(
            303, [("Location", redirect + ("&" if "?" in redirect else "?") + query), *headers]
        )
    headers.append(("Location", url))
    status = STATUSES.get(fields.get("success_action_status", ""), 204)
    if status != 201:
        return RawResponse(status, headers)
    document = ET.Element("PostResponse")
    for name, value in (("Location", url), ("Bucket", bucket), ("Key", version.key), ("ETag", version.etag)):
        ET.SubElement(document, name).text = value
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        document, encoding="utf-8", xml_declaration=False
    )
    return RawResponse(201, [*headers, ("Content-Type", "application/xml")], body)


OPERATIONS = {"PostObject": post_object}
