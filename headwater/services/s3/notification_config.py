"""Bucket notification configurations: Get/PutBucketNotificationConfiguration (store and check).

Delivery is notifications.py's; this module checks what S3 checks before it stores a
configuration: known event names, prefix/suffix filter rules (one of each at most), no two
configurations that could both take one event for one key, and destinations that exist (an SQS
queue of the bucket's region; a function of the bucket's region that, in strict auth, lets
s3.amazonaws.com invoke it for this bucket, refused as S3 words it, "Not authorized to invoke
function [arn]"; there are no SNS topics here yet, so those fail unless the request skips
destination validation). A configuration without an Id gets one. Once
stored, the notifier sends S3's s3:TestEvent to the destinations (`test_event`).
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Mapping
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import malformed_xml, s3_error
from headwater.services.s3.events import SERVICE_PRINCIPAL, partition
from headwater.services.s3.records import Bucket
from headwater.services.s3.service import S3Core

# configuration list -> (destination member, kind of destination)
KINDS = {
    "QueueConfigurations": ("QueueArn", "queue"),
    "TopicConfigurations": ("TopicArn", "topic"),
    "LambdaFunctionConfigurations": ("LambdaFunctionArn", "Lambda function"),
}
_FAMILIES = {
    "ObjectCreated": ("Put", "Post", "Copy", "CompleteMultipartUpload"),
    "ObjectRemoved": ("Delete", "DeleteMarkerCreated"),
    "ObjectRestore": ("Post", "Completed", "Delete"),
    "Replication": (
        "OperationFailedReplication",
        "OperationNotTracked",
        "OperationMissedThreshold",
        "OperationReplicatedAfterThreshold",
    ),
    "LifecycleExpiration": ("Delete", "DeleteMarkerCreated"),
    "ObjectTagging": ("Put", "Delete"),
    "ObjectAcl": ("Put",),
}
EVENTS = frozenset(
    [f"s3:{family}:{name}" for family, names in _FAMILIES.items() for name in (*names, "*")]
    + ["s3:ReducedRedundancyLostObject", "s3:LifecycleTransition", "s3:IntelligentTiering"]
) - {"s3:ObjectAcl:*"}


def _invalid(message: str, **details: str) -> AwsError:
    return s3_error("InvalidArgument", message, 400, **details)


def check_configuration(
    core: S3Core, bucket: Bucket, config: Mapping[str, Any], validate: bool
) -> dict[str, Any]:
    """The configuration as stored: checked, with Ids filled in and filter rule names as S3 writes
    them ("Prefix", "Suffix")."""
    checked: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []
    unreachable: list[tuple[str, str]] = []
    for kind, (member, what) in KINDS.items():
        entries = []
        for raw in config.get(kind) or []:
            entry = _check_target(raw, member)
            arn = entry[member]
            if validate and kind == "LambdaFunctionConfigurations":
                if not _function_accepts(core, bucket, arn):
                    unreachable.append((f"{arn}, null", f"Not authorized to invoke function [{arn}]"))
            elif validate and not _destination_exists(core, bucket, kind, arn):
                unreachable.append((arn, f"The destination {what} does not exist"))
            entries.append(entry)
        if entries:
            checked[kind] = entries
            targets += entries
    if unreachable:
        details: dict[str, str] = {}
        for number, (arn, reason) in enumerate(unreachable, start=1):
            details[f"ArgumentName{number}"] = arn
            details[f"ArgumentValue{number}"] = reason
        raise _invalid("Unable to validate the following destination configurations", **details)
    for index, first in enumerate(targets):
        if any(_overlap(first, second) for second in targets[index + 1 :]):
            raise _invalid(
                "Configurations overlap. Configurations on the same bucket cannot share a common event type."
            )
    if config.get("EventBridgeConfiguration") is not None:
        checked["EventBridgeConfiguration"] = {}
    return checked


def _check_target(raw: Mapping[str, Any], member: str) -> dict[str, Any]:
    events = raw.get("Events") or []
    if not raw.get(member) or not events:
        raise malformed_xml()
    parts = str(raw[member]).split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise _invalid("The ARN could not be parsed")
    for event in events:
        if event not in EVENTS:
            raise _invalid("The event is not supported for notifications")
    entry: dict[str, Any] = {
        "Id": raw.get("Id") or secrets.token_urlsafe(24),
        member: raw[member],
        "Events": list(events),
    }
    rules = ((raw.get("Filter") or {}).get("Key") or {}).get("FilterRules")
    if rules is not None:
        seen: set[str] = set()
        checked_rules = []
        for rule in rules:
            name = str(rule.get("Name") or "").lower()
            if name not in ("prefix", "suffix"):
                raise _invalid("filter rule name must be either prefix or suffix")
            if name in seen:
                raise _invalid(f"Cannot specify more than one {name} rule in a filter.")
            seen.add(name)
            # S3 answers the names capitalized, whatever case they were sent in
            checked_rules.append({"Name": name.capitalize(), "Value": str(rule.get("Value") or "")})
        entry["Filter"] = {"Key": {"FilterRules": checked_rules}}
    return entry


def _destination_exists(core: S3Core, bucket: Bucket, kind: str, arn: str) -> bool:
    if kind != "QueueConfigurations" or core.queues is None:
        return False
    parts = arn.split(":")
    return len(parts) == 6 and parts[3] == bucket.region and core.queues.exists(arn)


def _function_accepts(core: S3Core, bucket: Bucket, arn: str) -> bool:
    functions = core.functions()
    if functions is None or arn.split(":")[3:4] != [bucket.region]:
        return False
    refusal = functions.refusal(
        arn,
        principal=SERVICE_PRINCIPAL,
        source_arn=f"arn:{partition(bucket.region)}:s3:::{bucket.name}",
        source_account=bucket.account,
    )
    return refusal is None


def filter_values(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(prefix, suffix) of a configuration's key filter ("" when absent)."""
    values = {"prefix": "", "suffix": ""}
    for rule in ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        values[str(rule["Name"]).lower()] = rule["Value"]
    return values["prefix"], values["suffix"]


def _events_overlap(first: str, second: str) -> bool:
    family_a, _, name_a = first.removeprefix("s3:").partition(":")
    family_b, _, name_b = second.removeprefix("s3:").partition(":")
    return family_a == family_b and (name_a == name_b or "*" in (name_a, name_b))


def _overlap(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Could one event for one key match both configurations?"""
    if not any(_events_overlap(a, b) for a in first["Events"] for b in second["Events"]):
        return False
    prefix_a, suffix_a = filter_values(first)
    prefix_b, suffix_b = filter_values(second)
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes


async def get_notification(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return dict(lookup(core, params).configs.get("notification") or {})


async def put_notification(core: S3Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    bucket = lookup(core, params)
    skip = params.get("SkipDestinationValidation") in (True, "true", "True")
    config = check_configuration(core, bucket, params.get("NotificationConfiguration") or {}, not skip)
    bucket = bucket.with_config("notification", config or None)
    await core.store.put_bucket(bucket)
    test_event = getattr(core.notifier, "test_event", None)
    if config and test_event is not None:
        sent = test_event(bucket, config, ctx)
        if inspect.isawaitable(sent):
            await sent
    return {}


OPERATIONS = {
    "GetBucketNotificationConfiguration": get_notification,
    "PutBucketNotificationConfiguration": put_notification,
}
