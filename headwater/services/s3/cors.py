"""Bucket CORS: the configuration (Get/Put/DeleteBucketCors), preflight requests (OPTIONS) and the
headers added to actual cross-origin requests.

S3 uses the first rule whose AllowedOrigins match the Origin (one `*` wildcard per pattern, which
may match nothing; the pattern is anchored at both ends), whose AllowedMethods hold the method
(a preflight's Access-Control-Request-Method) and, for a preflight only, whose AllowedHeaders
match every requested header (case-insensitively). A preflight no rule allows is refused (403);
an actual request no rule allows is served without CORS headers. The answer lists the rule's
methods, echoes the requested headers lowercased, and echoes the origin, or `*` when the rule's
origin is `*` (then without Access-Control-Allow-Credentials).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RawResponse, RequestContext
from headwater.services.s3.bucket_rules import lookup, no_content, save, stored_config
from headwater.services.s3.errors import invalid_argument, invalid_request, malformed_xml, s3_error
from headwater.services.s3.service import S3Core

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
    "by the resource's CORS spec."
)
_RULE_MEMBERS = ("ID", "AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposeHeaders", "MaxAgeSeconds")


# -- the configuration ----------------------------------------------------------------------------


def check_configuration(config: Mapping[str, Any]) -> dict[str, Any]:
    """A CORSConfiguration checked as S3 checks it, with only the members the rules set."""
    rules = config.get("CORSRules") or []
    if not rules or len(rules) > MAX_RULES:
        raise malformed_xml()
    checked = []
    for rule in rules:
        if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
            raise malformed_xml()
        for method in rule["AllowedMethods"]:
            if method not in METHODS:
                raise invalid_request(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
        for name, member in (("AllowedOrigin", "AllowedOrigins"), ("AllowedHeader", "AllowedHeaders")):
            for pattern in rule.get(member) or []:
                if pattern.count("*") > 1:
                    raise invalid_request(f'{name} "{pattern}" can not have more than one wildcard.')
        if len(rule.get("ID") or "") > 255:
            raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule["ID"])
        checked.append({name: rule[name] for name in _RULE_MEMBERS if rule.get(name) is not None})
    return {"CORSRules": checked}


async def get_cors(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    config = stored_config(bucket, "cors", "NoSuchCORSConfiguration", "The CORS configuration does not exist")
    return {"CORSRules": config["CORSRules"]}


async def put_cors(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    config = check_configuration(params.get("CORSConfiguration") or {})
    await save(core, lookup(core, params), "cors", config)
    return {}


async def delete_cors(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    await save(core, lookup(core, params), "cors", None)
    return no_content()


# -- evaluation -----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _pattern(pattern: str, fold: bool) -> re.Pattern[str]:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(regex, re.IGNORECASE | re.DOTALL if fold else re.DOTALL)


def matches(pattern: str, text: str, *, fold: bool = False) -> bool:
    """Does `text` match a CORS pattern (`*` matches any run of characters, the empty one too)?"""
    if "*" not in pattern:
        return pattern.lower() == text.lower() if fold else pattern == text
    return _pattern(pattern, fold).fullmatch(text) is not None


def find_rule(
    config: Mapping[str, Any], origin: str, method: str, requested: Sequence[str] | None = None
) -> tuple[Mapping[str, Any], str] | None:
    """The first rule allowing the request, and the origin pattern that matched."""
    for rule in config.get("CORSRules") or []:
        if method not in rule.get("AllowedMethods", ()):
            continue
        pattern = next((p for p in rule.get("AllowedOrigins", ()) if matches(p, origin)), None)
        if pattern is None:
            continue
        allowed = rule.get("AllowedHeaders") or ()
        if requested and not all(any(matches(a, h, fold=True) for a in allowed) for h in requested):
            continue
        return rule, pattern
    return None


def _headers(
    rule: Mapping[str, Any], pattern: str, origin: str, requested: Sequence[str] | None
) -> list[tuple[str, str]]:
    anyone = pattern == "*"
    headers = [
        ("Access-Control-Allow-Origin", "*" if anyone else origin),
        ("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])),
    ]
    if requested:
        headers.append(("Access-Control-Allow-Headers", ", ".join(requested)))
    if rule.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    if not anyone:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    headers.append(("Vary", VARY))
    return headers


def _requested_headers(value: str | None) -> list[str]:
    return [name.strip().lower() for name in (value or "").split(",") if name.strip()]


def _forbidden(message: str, method: str | None, resource: str) -> AwsError:
    return s3_error("AccessForbidden", message, 403, Method=method or "OPTIONS", ResourceType=resource)


async def options_object(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> RawResponse:
    """A CORS preflight (OPTIONS on a bucket or an object). It needs no authentication."""
    origin = params.get("Origin")
    method = params.get("AccessControlRequestMethod")
    resource = "OBJECT" if params.get("Key") else "BUCKET"
    if not origin:
        raise s3_error("BadRequest", "Insufficient information. Origin request header needed.")
    bucket = core.store.bucket(params.get("Bucket") or "")
    if bucket is None:
        raise _forbidden("CORSResponse: Bucket not found", method, resource)
    config = bucket.configs.get("cors")
    if not config:
        raise _forbidden("CORSResponse: CORS is not enabled for this bucket.", method, "BUCKET")
    requested = _requested_headers(params.get("AccessControlRequestHeaders"))
    found = find_rule(config, origin, method, requested) if method else None
    if found is None:
        raise _forbidden(NOT_ALLOWED, method, resource)
    rule, pattern = found
    return RawResponse(200, _headers(rule, pattern, origin, requested))


def response_headers(
    core: S3Core, bucket_name: str | None, origin: str, method: str
) -> list[tuple[str, str]]:
    """The CORS headers of an actual (non-preflight) request carrying an Origin: none unless a rule
    of the bucket allows the origin and the method (the request's headers are not checked)."""
    bucket = core.store.bucket(bucket_name) if bucket_name else None
    config = bucket.configs.get("cors") if bucket is not None else None
    if not config or not origin:
        return []
    found = find_rule(config, origin, method.upper())
    if found is None:
        return []
    rule, pattern = found
    return _headers(rule, pattern, origin, None)


OPERATIONS = {
    "GetBucketCors": get_cors,
    "PutBucketCors": put_cors,
    "DeleteBucketCors": delete_cors,
    "OptionsObject": options_object,
}
