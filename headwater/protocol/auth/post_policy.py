"""Browser POST uploads: the signed policy document and the form fields it must cover.

Theory of operation. An HTML form posts ``key``, a base64 ``policy`` (JSON: ``expiration`` and a list
of ``conditions``), the signature of that base64 text, any other fields (``acl``, ``Content-Type``,
``x-amz-meta-*``...) and finally the file. S3 checks, before storing anything:

* the signature: SigV4 (``x-amz-algorithm``/``x-amz-credential``/``x-amz-date``/``x-amz-signature``,
  hex HMAC-SHA256 of the policy text with the scope's signing key) or SigV2 (``AWSAccessKeyId``/
  ``signature``, base64 HMAC-SHA1) - botocore still presigns POSTs with SigV2 in us-east-1;
* the policy's expiration and every condition, in order: exact match (``{"acl": "public-read"}`` or
  ``["eq", "$acl", ...]``), prefix (``["starts-with", "$key", "user/"]``; for Content-Type every
  comma-separated value must match), and ``["content-length-range", min, max]``;
* that every form field except ``policy``, the signature, ``file`` and ``x-ignore-*`` is named by some
  condition (otherwise "Extra input fields").

Field names are case-insensitive, values are compared exactly, ``bucket`` is the bucket of the URL,
and ``${filename}`` in ``key`` (and the redirect fields) is replaced by the uploaded file's name first.
The file's size is only known once it has streamed, so :func:`check_size` runs last.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.protocol.auth.s3 import SIGNATURE_MISMATCH, UNKNOWN_ACCESS_KEY, s3_error, signing_key
from headwater.protocol.errors import AwsError

_EXEMPT = frozenset(("policy", "x-amz-signature", "file"))
_V2_EXEMPT = frozenset(("awsaccesskeyid", "signature"))
_SUBSTITUTED = ("key", "success_action_redirect", "redirect")
_EXPIRATION_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """What a checked POST form grants: who signed it, the object key, the size range for the file."""

    access_key: str | None  # None: an anonymous form (no policy, no signature)
    region: str | None
    key: str  # the key field with ${filename} substituted
    min_size: int | None = None
    max_size: int | None = None


def check_fields(
    fields: Mapping[str, str],
    bucket: str,
    now: float,
    lookup_secret: Callable[[str], str | None] | None,
    *,
    filename: str | None = None,
) -> PostPolicy:
    """Check the form fields (all but the file) or raise S3's error.

    `lookup_secret` None skips signature verification (open auth mode: the signer is only identified);
    the policy's expiration and conditions are enforced either way.
    """
    form: dict[str, str] = {}
    for name, value in fields.items():
        form.setdefault(name.lower(), value)
    if "key" not in form:
        raise s3_error(
            "InvalidArgument",
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of "
            "the fields.",
            details={"ArgumentName": "key", "ArgumentValue": ""},
        )
    if filename is not None:
        for name in _SUBSTITUTED:
            if name in form:
                form[name] = form[name].replace("${filename}", filename)
    v4 = "x-amz-signature" in form or "x-amz-credential" in form or "x-amz-algorithm" in form
    v2 = not v4 and ("signature" in form or "awsaccesskeyid" in form)
    if not v4 and not v2:
        if "policy" in form:
            raise _missing("x-amz-signature")
        return PostPolicy(None, None, form["key"])
    required = (
        ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
        if v4
        else ("awsaccesskeyid", "signature")
    )
    for name in ("policy", *required):
        if not form.get(name):
            raise _missing(name)
    policy_text = form["policy"]
    access_key, region = (
        _check_signature(form, policy_text, lookup_secret)
        if v4
        else _check_v2(form, policy_text, lookup_secret)
    )
    document = _decode(policy_text)
    _check_expiration(document, now)
    conditions = document.get("conditions")
    if not isinstance(conditions, list):
        raise _invalid_policy("Policy missing conditions.")
    covered: set[str] = set()
    size_range: tuple[int, int] | None = None
    for condition in conditions:
        field, size = _check_condition(condition, form, bucket)
        if field is not None:
            covered.add(field)
        if size is not None:
            size_range = size
    exempt = _EXEMPT | (_V2_EXEMPT if v2 else frozenset())
    for name in form:
        if name not in covered and name not in exempt and not name.startswith("x-ignore-"):
            raise _denied(f"Extra input fields: {name}")
    low, high = size_range or (None, None)
    return PostPolicy(access_key, region, form["key"], low, high)


def check_size(policy: PostPolicy, size: int) -> None:
    """After the file streamed: enforce the policy's content-length-range."""
    if policy.max_size is not None and size > policy.max_size:
        raise s3_error(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            details={"ProposedSize": str(size), "MaxSizeAllowed": str(policy.max_size)},
        )
    if policy.min_size is not None and size < policy.min_size:
        raise s3_error(
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            details={"ProposedSize": str(size), "MinSizeAllowed": str(policy.min_size)},
        )


def _check_signature(
    form: Mapping[str, str], policy_text: str, lookup_secret: Callable[[str], str | None] | None
) -> tuple[str, str]:
    if form["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise s3_error(
            "InvalidArgument",
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
            details={"ArgumentName": "x-amz-algorithm", "ArgumentValue": form["x-amz-algorithm"]},
        )
    credential = form["x-amz-credential"]
    scope = credential.split("/")
    if len(scope) != 5 or not all(scope) or scope[4] != "aws4_request":
        raise s3_error(
            "InvalidArgument",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            details={"ArgumentName": "x-amz-credential", "ArgumentValue": credential},
        )
    if lookup_secret is not None:
        secret = _secret(lookup_secret, scope[0])
        key = signing_key(secret, scope[1], scope[2], scope[3])
        expected = hmac.digest(key, policy_text.encode(), "sha256").hex()
        _compare(expected, form["x-amz-signature"], scope[0], policy_text)
    return scope[0], scope[2]


def _check_v2(
    form: Mapping[str, str], policy_text: str, lookup_secret: Callable[[str], str | None] | None
) -> tuple[str, None]:
    access_key = form["awsaccesskeyid"]
    if lookup_secret is not None:
        secret = _secret(lookup_secret, access_key)
        expected = base64.b64encode(hmac.digest(secret.encode(), policy_text.encode(), "sha1")).decode()
        _compare(expected, form["signature"], access_key, policy_text)
    return access_key, None


def _secret(lookup_secret: Callable[[str], str | None], access_key: str) -> str:
    secret = lookup_secret(access_key)
    if secret is None:
        raise s3_error("InvalidAccessKeyId", UNKNOWN_ACCESS_KEY, 403, {"AWSAccessKeyId": access_key})
    return secret


def _compare(expected: str, provided: str, access_key: str, policy_text: str) -> None:
    if not hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace")):
        raise s3_error(
            "SignatureDoesNotMatch",
            SIGNATURE_MISMATCH,
            403,
            {
                "AWSAccessKeyId": access_key,
                "StringToSign": policy_text,
                "SignatureProvided": provided,
                "StringToSignBytes": " ".join(f"{b:02x}" for b in policy_text.encode()),
            },
        )


def _decode(policy_text: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(policy_text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid_policy("Invalid Base64 Encoding.") from None
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid_policy("Invalid JSON.")
    return document


def _check_expiration(document: Mapping[str, Any], now: float) -> None:
    expiration = document.get("expiration")
    if expiration is None:
        raise _invalid_policy("Policy missing expiration.")
    expires = None
    if isinstance(expiration, str):
        for pattern in _EXPIRATION_FORMATS:
            try:
                expires = calendar.timegm(time.strptime(expiration, pattern))
                break
            except ValueError:
                continue
    if expires is None:
        raise _invalid_policy(f"Invalid 'expiration' value: '{expiration}'")
    if now > expires:
        raise _denied("Policy expired.")


def _check_condition(
    condition: Any, form: Mapping[str, str], bucket: str
) -> tuple[str | None, tuple[int, int] | None]:
    """Check one condition; return the field it covers and, for content-length-range, the range."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, expected),) = condition.items()
        operator, subject = "eq", str(name).lower().removeprefix("$")
        rendered = ["eq", f"${name}", expected]
    elif isinstance(condition, list) and len(condition) == 3 and isinstance(condition[0], str):
        operator = condition[0].lower()
        rendered = condition
        if operator == "content-length-range":
            low, high = (_integer(value) for value in condition[1:])
            if low is None or high is None or low > high:
                raise _failed(rendered)
            return None, (low, high)
        subject_text, expected = condition[1], condition[2]
        if not isinstance(subject_text, str) or not subject_text.startswith("$"):
            raise _failed(rendered)
        subject = subject_text[1:].lower()
    else:
        raise _failed(condition)
    if not isinstance(expected, str):
        raise _failed(rendered)
    actual = bucket if subject == "bucket" else form.get(subject)
    if operator == "eq":
        ok = actual == expected
    elif operator == "starts-with":
        values = (actual or "").split(",") if subject == "content-type" else [actual or ""]
        ok = all(value.strip().startswith(expected) for value in values)
    else:
        ok = False
    if not ok:
        raise _failed(rendered)
    return subject, None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _failed(condition: Any) -> AwsError:
    return _denied("Policy Condition failed: " + json.dumps(condition, ensure_ascii=False))


def _denied(detail: str) -> AwsError:
    return s3_error("AccessDenied", "Invalid according to Policy: " + detail, 403)


def _invalid_policy(detail: str) -> AwsError:
    return s3_error("InvalidPolicyDocument", "Invalid Policy: " + detail)


def _missing(name: str) -> AwsError:
    return s3_error(
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of "
        "the fields.",
        details={"ArgumentName": name, "ArgumentValue": ""},
    )
