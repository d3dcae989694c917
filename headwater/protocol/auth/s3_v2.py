"""S3's legacy SigV2 authentication (HMAC-SHA1), still alive: botocore presigns URLs and POST
policies with it by default in us-east-1 and us-west-2. Header (``Authorization: AWS key:sig``) and
query (``AWSAccessKeyId``/``Signature``/``Expires``) forms, over method, Content-MD5, Content-Type,
the date, the ``x-amz-*`` headers and the path-style resource with its sub-resources."""

from __future__ import annotations

import base64
import hmac
from urllib.parse import unquote

from headwater.protocol.auth.s3_request import (
    UNSIGNED_PAYLOAD,
    S3Auth,
    SignedRequest,
    check_skew,
    header_date,
    iso_extended,
    mismatch,
    request_expired,
    s3_error,
    secret_for,
)

# SigV2 signs these query parameters (the "sub-resources" and response overrides) as part of the resource.
_V2_SUBRESOURCE_NAMES = (
    "accelerate acl analytics cors defaultObjectAcl delete inventory lifecycle location logging metrics "
    "notification object-lock partNumber policy replication requestPayment restore select select-type "
    "storageClass tagging torrent uploadId uploads versionId versioning versions website "
    "response-cache-control response-content-disposition response-content-encoding "
    "response-content-language response-content-type response-expires"
)
_V2_SUBRESOURCES = frozenset(_V2_SUBRESOURCE_NAMES.split())


def verify_v2(request: SignedRequest, auth_path: str | None, max_skew: float) -> S3Auth:
    headers, q = request.headers, request.query
    payload = headers.get("x-amz-content-sha256") or UNSIGNED_PAYLOAD
    header = headers.get("authorization")
    if header is not None:
        access_key, _, signature = header[4:].strip().rpartition(":")
        if not access_key or not signature:
            raise s3_error(
                "InvalidArgument",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                details={"ArgumentName": "Authorization", "ArgumentValue": header},
            )
        signed_at, date_value = header_date(headers, http_date=True)
        secret = secret_for(request, access_key)
        check_skew(request, signed_at, date_value, max_skew)
        # With x-amz-date present the Date line is signed empty; some clients sign the Date header anyway.
        dates = ["", headers.get("date", "")] if "x-amz-date" in headers else [headers.get("date", "")]
        amz = {k: v for k, v in headers.items() if k.startswith("x-amz-")}
        presigned = False
    else:
        access_key, signature, expires_text = (
            q.get("AWSAccessKeyId", ""),
            q.get("Signature", ""),
            q.get("Expires", ""),
        )
        if not access_key or not signature or not expires_text:
            raise s3_error(
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
                403,
            )
        signature = signature.replace(" ", "+")  # a bare '+' in base64 decodes as a space
        if not expires_text.isdigit():
            raise s3_error(
                "AccessDenied", "Invalid date (should be seconds since epoch): " + expires_text, 403
            )
        secret = secret_for(request, access_key)
        if request.now > int(expires_text):
            raise request_expired({"Expires": iso_extended(int(expires_text))}, request.now)
        dates = [expires_text]
        # botocore moves the signed x-amz-* headers (and the content headers) into the query.
        amz = {k: v for k, v in headers.items() if k.startswith("x-amz-")}
        amz.update((k.lower(), v) for k, v in q.items() if k.lower().startswith("x-amz-"))
        presigned = True
    content = [
        q.get(name) if presigned and name in q else headers.get(name, "")
        for name in ("content-md5", "content-type")
    ]
    amz_lines = "".join(f"{k}:{','.join(p.strip() for p in amz[k].split(','))}\n" for k in sorted(amz))
    resource = (auth_path or request.path) + v2_subresources(request.query_string)
    key = secret.encode("utf-8")
    first = ""
    for date_line in dates:
        string_to_sign = (
            f"{request.method}\n{content[0] or ''}\n{content[1] or ''}\n{date_line}\n{amz_lines}{resource}"
        )
        expected = base64.b64encode(hmac.digest(key, string_to_sign.encode("utf-8"), "sha1")).decode()
        if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return S3Auth(access_key, None, payload, presigned=presigned, version=2)
        first = first or string_to_sign
    raise mismatch(access_key, first, signature, None)


def v2_subresources(query_string: str) -> str:
    picked = []
    for item in query_string.split("&"):
        name, eq, value = item.partition("=")
        if name in _V2_SUBRESOURCES:
            # Signed as sent: a parameter without '=' stays without one; values are signed decoded.
            picked.append((name, f"{name}{eq}{unquote(value)}"))
    if not picked:
        return ""
    picked.sort(key=lambda pair: pair[0])
    return "?" + "&".join(text for _, text in picked)
