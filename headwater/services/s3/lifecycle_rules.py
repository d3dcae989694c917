"""Lifecycle configurations: their checks, Get/Put/DeleteBucketLifecycle(Configuration), and the
rule arithmetic the background expiry (lifecycle.py) uses.

Every lifecycle deadline falls on a midnight UTC: an object expires at the first midnight after
its creation plus Days (created Jan 15 10:30 with 3 days: Jan 19 00:00), a Date is a midnight, a
noncurrent version expires NoncurrentDays after it became noncurrent (when the next version was
written), rounded the same way, and so does an upload DaysAfterInitiation after it began.
Transitions are checked and stored but not applied (there is one storage class here).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import check_tag_set, lookup, no_content, save, stored_config
from headwater.services.s3.errors import invalid_argument, invalid_request, malformed_xml
from headwater.services.s3.records import ObjectVersion
from headwater.services.s3.service import S3Core

DAY_MS = 86_400_000
MAX_RULES = 1000
TRANSITION_MINIMUM = "all_storage_classes_128K"  # S3's default since September 2024
_FILTER_MEMBERS = ("Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And")
_ACTIONS = (
    "Expiration",
    "Transitions",
    "NoncurrentVersionTransitions",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
)

Rule = Mapping[str, Any]


# -- checks ---------------------------------------------------------------------------------------


def check_configuration(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The configuration's rules, checked as S3 checks them (IDs filled in where missing)."""
    rules = config.get("Rules") or []
    if not rules or len(rules) > MAX_RULES:
        raise malformed_xml()
    checked, seen = [], set()
    for raw in rules:
        rule = {name: value for name, value in raw.items() if value is not None}
        rule_id = rule.setdefault("ID", secrets.token_urlsafe(36)[:48])
        if len(rule_id) > 255:
            raise invalid_argument("ID length should not exceed allowed limit of 255", "ID", rule_id)
        if rule_id in seen:
            raise invalid_argument(
                "Rule ID must be unique. Found same ID for more than one rule", "ID", rule_id
            )
        seen.add(rule_id)
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise malformed_xml()
        _check_filter(rule)
        if not any(rule.get(action) is not None for action in _ACTIONS):
            raise invalid_request("At least one action needs to be specified in a rule")
        _check_actions(rule)
        checked.append(rule)
    return checked


def _check_filter(rule: Rule) -> None:
    if ("Prefix" in rule) == ("Filter" in rule):
        raise malformed_xml()  # exactly one of the legacy Prefix and the Filter
    given = [name for name in _FILTER_MEMBERS if (rule.get("Filter") or {}).get(name) is not None]
    if len(given) > 1:
        raise malformed_xml()  # more than one condition goes in an And
    if "Tag" in given:
        check_tag_set([rule["Filter"]["Tag"]], 1)
    if "And" in given:
        check_tag_set(rule["Filter"]["And"].get("Tags") or [], 50, "Filter")
    low, high = size_bounds(rule)
    if (low is not None and low < 0) or (high is not None and high <= 0):
        raise invalid_argument("Object size filters must be positive", "ObjectSize")
    if low is not None and high is not None and low >= high:
        raise invalid_argument(
            "ObjectSizeGreaterThan must be less than ObjectSizeLessThan in the same rule", "ObjectSize"
        )


def _check_actions(rule: Rule) -> None:
    expiration = rule.get("Expiration")
    if expiration is not None:
        given = [
            name for name in ("Days", "Date", "ExpiredObjectDeleteMarker") if expiration.get(name) is not None
        ]
        if len(given) != 1:
            raise malformed_xml()  # ExpiredObjectDeleteMarker goes without Days or Date
        if "Days" in given and not _positive(expiration["Days"]):
            raise invalid_argument("'Days' for Expiration action must be a positive integer", "Days")
        if "Date" in given and parse_date(expiration["Date"]) % DAY_MS:
            raise invalid_argument("'Date' must be at midnight GMT", "Date")
        if expiration.get("ExpiredObjectDeleteMarker") and rule_tags(rule):
            raise invalid_request("ExpiredObjectDeleteMarker cannot be specified with Tag filters")
    for transition in rule.get("Transitions") or []:
        if transition.get("Date") is not None and parse_date(transition["Date"]) % DAY_MS:
            raise invalid_argument("'Date' must be at midnight GMT", "Date")
        if transition.get("Days") is not None and transition["Days"] < 0:
            raise invalid_argument("'Days' for Transition action must be a positive integer", "Days")
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent is not None:
        if not noncurrent:  # an empty <NoncurrentVersionExpiration/>
            raise malformed_xml()
        if not _positive(noncurrent.get("NoncurrentDays")):
            raise invalid_argument(
                "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                "NoncurrentDays",
            )
        newer = noncurrent.get("NewerNoncurrentVersions")
        if newer is not None and not (_positive(newer) and newer <= 100):
            raise invalid_argument(
                "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer "
                "up to 100",
                "NewerNoncurrentVersions",
            )
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort is not None:
        if not _positive(abort.get("DaysAfterInitiation")):
            raise invalid_argument(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                "DaysAfterInitiation",
            )
        if rule_tags(rule):
            raise invalid_request("AbortIncompleteMultipartUpload cannot be specified with Tags.")


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def parse_date(value: Any) -> int:
    """Epoch ms of a lifecycle Date (a datetime from the codec, or its stored ISO 8601 text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, dt.datetime):
        raise malformed_xml()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


# -- rule arithmetic ------------------------------------------------------------------------------


def rule_prefix(rule: Rule) -> str:
    found = rule.get("Filter") or {}
    return str(rule.get("Prefix") or found.get("Prefix") or (found.get("And") or {}).get("Prefix") or "")


def rule_tags(rule: Rule) -> dict[str, str]:
    found = rule.get("Filter") or {}
    tags = [found["Tag"]] if found.get("Tag") else (found.get("And") or {}).get("Tags") or []
    return {tag["Key"]: tag["Value"] for tag in tags}


def size_bounds(rule: Rule) -> tuple[int | None, int | None]:
    found = rule.get("Filter") or {}
    both = found.get("And") or {}
    low = found.get("ObjectSizeGreaterThan", both.get("ObjectSizeGreaterThan"))
    high = found.get("ObjectSizeLessThan", both.get("ObjectSizeLessThan"))
    return low, high


def applies_to(rule: Rule, key: str, version: ObjectVersion | None = None) -> bool:
    """Does the rule's filter take this key (and, given, this version's tags and size)?"""
    if not key.startswith(rule_prefix(rule)):
        return False
    if version is None or version.delete_marker:
        return True
    if any(version.tags.get(name) != value for name, value in rule_tags(rule).items()):
        return False
    low, high = size_bounds(rule)
    return (low is None or version.size > low) and (high is None or version.size < high)


def after_days(start_ms: int, days: int) -> int:
    """The first midnight UTC after `start_ms` plus `days` days."""
    return ((start_ms + days * DAY_MS) // DAY_MS + 1) * DAY_MS


def expiry_due(rule: Rule, created_ms: int) -> int | None:
    """When the rule's Expiration (Days or Date) takes an object created at `created_ms`."""
    expiration = rule.get("Expiration") or {}
    if expiration.get("Days") is not None:
        return after_days(created_ms, expiration["Days"])
    if expiration.get("Date") is not None:
        return parse_date(expiration["Date"])
    return None


def enabled_rules(config: Mapping[str, Any] | None) -> list[Rule]:
    return [rule for rule in (config or {}).get("Rules") or [] if rule.get("Status") == "Enabled"]


# -- the operations -------------------------------------------------------------------------------


async def get_lifecycle(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    config = stored_config(
        bucket, "lifecycle", "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"
    )
    return {
        "Rules": [_with_dates(rule) for rule in config["Rules"]],
        "TransitionDefaultMinimumObjectSize": config.get("Minimum", TRANSITION_MINIMUM),
    }


def _with_dates(rule: Rule) -> dict[str, Any]:
    """A stored rule with its dates as datetimes again (they are stored as ISO 8601 text)."""

    def dated(action: Mapping[str, Any]) -> dict[str, Any]:
        action = dict(action)
        if isinstance(action.get("Date"), str):
            action["Date"] = dt.datetime.fromtimestamp(parse_date(action["Date"]) / 1000, dt.UTC)
        return action

    result = dict(rule)
    if rule.get("Expiration"):
        result["Expiration"] = dated(rule["Expiration"])
    if rule.get("Transitions"):
        result["Transitions"] = [dated(transition) for transition in rule["Transitions"]]
    return result


async def get_lifecycle_legacy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """The deprecated GetBucketLifecycle: rules with a plain Prefix instead of a Filter."""
    rules = (await get_lifecycle(core, params, ctx))["Rules"]
    legacy = []
    for rule in rules:
        entry = {name: value for name, value in rule.items() if name not in ("Filter", "Prefix")}
        entry["Prefix"] = rule_prefix(rule)
        if rule.get("NoncurrentVersionTransitions"):
            entry["NoncurrentVersionTransition"] = rule["NoncurrentVersionTransitions"][0]
        if rule.get("Transitions"):
            entry["Transition"] = rule["Transitions"][0]
        legacy.append(entry)
    return {"Rules": legacy}


async def put_lifecycle(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    rules = check_configuration(params.get("LifecycleConfiguration") or {})
    minimum = params.get("TransitionDefaultMinimumObjectSize") or TRANSITION_MINIMUM
    if minimum not in ("varies_by_storage_class", "all_storage_classes_128K"):
        raise invalid_argument(
            "Invalid TransitionDefaultMinimumObjectSize", "x-amz-transition-default-minimum-object-size"
        )
    await save(core, lookup(core, params), "lifecycle", {"Rules": rules, "Minimum": minimum})
    return {"TransitionDefaultMinimumObjectSize": minimum}


async def put_lifecycle_legacy(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """The deprecated PutBucketLifecycle: one Transition and NoncurrentVersionTransition per rule."""
    rules = []
    for rule in (params.get("LifecycleConfiguration") or {}).get("Rules") or []:
        rule = dict(rule)
        if rule.get("Transition"):
            rule["Transitions"] = [rule.pop("Transition")]
        if rule.get("NoncurrentVersionTransition"):
            rule["NoncurrentVersionTransitions"] = [rule.pop("NoncurrentVersionTransition")]
        rules.append(rule)
    await put_lifecycle(core, {**params, "LifecycleConfiguration": {"Rules": rules}}, ctx)
    return {}


async def delete_lifecycle(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    await save(core, lookup(core, params), "lifecycle", None)
    return no_content()


OPERATIONS = {
    "GetBucketLifecycleConfiguration": get_lifecycle,
    "PutBucketLifecycleConfiguration": put_lifecycle,
    "GetBucketLifecycle": get_lifecycle_legacy,
    "PutBucketLifecycle": put_lifecycle_legacy,
    "DeleteBucketLifecycle": delete_lifecycle,
}
