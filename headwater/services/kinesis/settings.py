"""Per-stream and per-account settings: retention, encryption, monitoring, tags, policies, modes,
record size, warm throughput and the account's billing commitment."""

from __future__ import annotations

import json
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.capacity import capacity_mibps, grow
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Consumer, Stream
from headwater.services.ports import KeyRingError

MIN_RETENTION, MAX_RETENTION = 24, 8760
SHARD_METRICS = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]
MAX_TAGS = 50
ACCOUNTS = "kinesis.accounts"
COMMITMENT_MIN_S = 24 * 3600
KEY_CHANGES_PER_DAY = 25
WARM_MAX_MIBPS = 10240


# -- retention -------------------------------------------------------------------------------------
def _check_retention(hours: int) -> None:
    if hours < MIN_RETENTION:
        raise errors.invalid_argument(
            f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested retention period ({hours} hours) is too short."
        )
    if hours > MAX_RETENTION:
        raise errors.invalid_argument(
            f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested retention period ({hours} hours) is too long."
        )


async def increase_retention(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params, ctx)
    hours = params["RetentionPeriodHours"]
    _check_retention(hours)
    if hours < stream.retention_hours:
        raise errors.invalid_argument(
            f"Requested retention period ({hours} hours) for stream {stream.name} can not be shorter than existing "
            f"retention period ({stream.retention_hours} hours). Use DecreaseRetentionPeriod API."
        )
    _require_active(stream)
    stream.retention_hours = hours
    await core.save(stream)
    return {}


async def decrease_retention(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params, ctx)
    hours = params["RetentionPeriodHours"]
    _check_retention(hours)
    if hours > stream.retention_hours:
        raise errors.invalid_argument(
            f"Requested retention period ({hours} hours) for stream {stream.name} can not be longer than existing "
            f"retention period ({stream.retention_hours} hours). Use IncreaseRetentionPeriod API."
        )
    _require_active(stream)
    stream.retention_hours = hours
    await core.save(stream)
    core.spawn(core.trim_expired())
    return {}


def _require_active(stream: Stream) -> None:
    if stream.status != "ACTIVE":
        raise errors.stream_in_use(stream.name, stream.account, stream.status)


# -- encryption ------------------------------------------------------------------------------------
async def start_encryption(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = core.find(params, ctx)
    if params["EncryptionType"] != "KMS":
        raise errors.invalid_argument("EncryptionType must be KMS to start encryption.")
    _require_active(stream)
    key_ref = params["KeyId"]
    try:
        await core.keystore.resolve(stream.account, stream.region, key_ref)
        core.keystore.check(stream.account, stream.region, key_ref)  # disabled, pending deletion
    except KeyRingError as exc:
        raise errors.kms_error(exc) from None
    now = core.clock.now()
    stream.encryption_key_changes = [t for t in stream.encryption_key_changes if now - t < 86_400]
    if stream.encryption == "KMS" and stream.key_id == key_ref:
        return {}
    if len(stream.encryption_key_changes) >= KEY_CHANGES_PER_DAY:
        raise errors.limit_exceeded(
            f"Exceeded the number of allowed key changes ({KEY_CHANGES_PER_DAY}) in a rolling 24 hour period for "
            f"stream {stream.name} under account {stream.account}."
        )
    stream.encryption_key_changes.append(now)
    stream.encryption, stream.key_id = "KMS", key_ref
    await _updating(core, stream)
    return {}


async def stop_encryption(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = core.find(params, ctx)
    if params["EncryptionType"] != "KMS":
        raise errors.invalid_argument("EncryptionType must be KMS to stop encryption.")
    _require_active(stream)
    stream.encryption, stream.key_id = "NONE", None
    await _updating(core, stream)
    return {}


async def _updating(core: KinesisCore, stream: Stream) -> None:
    if core.config.transition_delay <= 0:
        await core.save(stream)
        return
    stream.status = "UPDATING"
    await core.save(stream)
    core.spawn(core.transition(stream, "ACTIVE"))


# -- enhanced monitoring ---------------------------------------------------------------------------
def _metrics(requested: list[str]) -> set[str]:
    return set(SHARD_METRICS) if "ALL" in requested else set(requested)


async def enable_monitoring(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await _monitoring(core, params, ctx, enable=True)


async def disable_monitoring(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await _monitoring(core, params, ctx, enable=False)


async def _monitoring(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext, enable: bool
) -> dict[str, Any]:
    stream = core.find(params, ctx)
    _require_active(stream)
    current = list(stream.monitoring)
    change = _metrics(params["ShardLevelMetrics"])
    desired = set(current) | change if enable else set(current) - change
    stream.monitoring = [m for m in SHARD_METRICS if m in desired]
    await core.save(stream)
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "CurrentShardLevelMetrics": current,
        "DesiredShardLevelMetrics": list(stream.monitoring),
    }


# -- tags ------------------------------------------------------------------------------------------
def _add_tags(target: dict[str, str], tags: dict[str, str], what: str) -> None:
    merged = {**target, **tags}
    if len(merged) > MAX_TAGS:
        raise errors.invalid_argument(
            f"Failed to add tags to {what}: the resource would have more than {MAX_TAGS} tags."
        )
    target.update(tags)


async def add_tags_to_stream(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("AddTagsToStream", ctx.account)
    stream = core.find(params, ctx)
    _add_tags(stream.tags, params["Tags"], f"stream {stream.name} under account {stream.account}")
    await core.save(stream)
    return {}


async def remove_tags_from_stream(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("RemoveTagsFromStream", ctx.account)
    stream = core.find(params, ctx)
    for key in params["TagKeys"]:
        stream.tags.pop(key, None)
    await core.save(stream)
    return {}


async def list_tags_for_stream(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("ListTagsForStream", ctx.account)
    stream = core.find(params, ctx)
    keys = sorted(stream.tags)
    start = params.get("ExclusiveStartTagKey")
    if start is not None:
        keys = [k for k in keys if k > start]
    limit = params.get("Limit", 50)
    return {
        "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
        "HasMoreTags": len(keys) > limit,
    }


def resource(core: KinesisCore, arn: str, ctx: RequestContext) -> tuple[Stream, Consumer | None]:
    """The stream or consumer an ARN names (tags v2 and resource policies take either)."""
    stream_arn, sep, consumer_part = arn.partition("/consumer/")
    stream = core.find_arn(stream_arn, ctx)
    if not sep:
        return stream, None
    name = consumer_part.rsplit(":", 1)[0]
    consumer = stream.consumers.get(name)
    if consumer is None or stream.consumer_arn(consumer) != arn:
        raise AwsError(
            "ResourceNotFoundException", f"Consumer {arn} under account {stream.account} not found."
        )
    return stream, consumer


async def tag_resource(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    _add_tags(consumer.tags if consumer else stream.tags, params["Tags"], params["ResourceARN"])
    await core.save(stream)
    return {}


async def untag_resource(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    tags = consumer.tags if consumer else stream.tags
    for key in params["TagKeys"]:
        tags.pop(key, None)
    await core.save(stream)
    return {}


async def list_tags_for_resource(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    tags = consumer.tags if consumer else stream.tags
    return {"Tags": [{"Key": k, "Value": tags[k]} for k in sorted(tags)]}


# -- resource policies -----------------------------------------------------------------------------
def _validate_policy(text: str) -> None:
    try:
        document = json.loads(text)
    except ValueError:
        raise errors.invalid_argument("Policy is not a valid JSON document.") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise errors.invalid_argument("Policy document must contain a non-empty Statement.")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise errors.invalid_argument("Each policy statement must have an Effect of Allow or Deny.")
        if "Action" not in statement and "NotAction" not in statement:
            raise errors.invalid_argument("Each policy statement must have an Action.")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise errors.invalid_argument("Each policy statement must have a Principal.")


async def put_resource_policy(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    _validate_policy(params["Policy"])
    if consumer:
        consumer.policy = params["Policy"]
    else:
        stream.policy = params["Policy"]
    await core.save(stream)
    return {}


async def get_resource_policy(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    policy = consumer.policy if consumer else stream.policy
    return {"Policy": policy or "{}"}


async def delete_resource_policy(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream, consumer = resource(core, params["ResourceARN"], ctx)
    holder: Stream | Consumer = consumer or stream
    if holder.policy is None:
        raise AwsError(
            "ResourceNotFoundException", f"No resource policy found for resource ARN {params['ResourceARN']}."
        )
    holder.policy = None
    await core.save(stream)
    return {}


# -- capacity --------------------------------------------------------------------------------------
async def update_stream_mode(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find_arn(params["StreamARN"], ctx)
    _require_active(stream)
    mode = params["StreamModeDetails"]["StreamMode"]
    warm = params.get("WarmThroughputMiBps")
    if warm is not None and mode != "ON_DEMAND":
        raise errors.validation("WarmThroughputMiBps can only be specified for ON_DEMAND streams.")
    if mode == "PROVISIONED" and core.queue_count(stream):
        raise errors.AwsError(
            "ResourceInUseException",
            f"Stream {stream.name} under account {stream.account} has queues. "
            "Delete every queue on the stream before switching it to PROVISIONED mode.",
        )
    if mode == stream.mode and warm is None:
        raise errors.validation(
            f"Stream {stream.name} under account {stream.account} is already in {mode} mode."
        )
    stream.mode = mode
    if warm is not None:
        stream.warm_target_mibps = warm
    if not await grow(core, stream, warm or 0):
        await _updating(core, stream)
    return {}


async def update_max_record_size(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("UpdateMaxRecordSize", ctx.account)
    stream = core.find(params, ctx)
    _require_active(stream)
    stream.max_record_kib = params["MaxRecordSizeInKiB"]
    now = core.clock.now()
    for shard in stream.open_shards:  # shards without limits yet get the new size when first used
        limits = core.shard_limits.get(shard.partition)
        if limits is not None:
            limits.resize(stream.max_record_kib * 1024, now)
    await core.save(stream)
    return {}


def _commitment(core: KinesisCore, ctx: RequestContext) -> dict[str, Any]:
    raw = core.meta.get(ACCOUNTS, f"{ctx.account}/{ctx.region}")
    return json.loads(raw) if raw else {"Status": "DISABLED"}


async def update_warm_throughput(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("UpdateStreamWarmThroughput", ctx.account)
    stream = core.find(params, ctx)
    if stream.mode != "ON_DEMAND":
        raise errors.validation("Warm throughput can only be configured for ON_DEMAND streams.")
    if _commitment(core, ctx)["Status"] == "DISABLED":
        raise errors.validation(
            "Warm throughput requires the account's MinimumThroughputBillingCommitment to be ENABLED."
        )
    target = params["WarmThroughputMiBps"]
    if target > WARM_MAX_MIBPS:
        raise errors.validation(f"WarmThroughputMiBps must be at most {WARM_MAX_MIBPS}.")
    _require_active(stream)
    current = capacity_mibps(stream)
    stream.warm_target_mibps = target
    if not await grow(core, stream, target):
        await _updating(core, stream)
    return {
        "StreamARN": stream.arn,
        "StreamName": stream.name,
        "WarmThroughput": {"TargetMiBps": target, "CurrentMiBps": current},
    }


async def describe_account_settings(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("DescribeAccountSettings", ctx.account)
    return {"MinimumThroughputBillingCommitment": _commitment(core, ctx)}


async def update_account_settings(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("UpdateAccountSettings", ctx.account)
    wanted = params["MinimumThroughputBillingCommitment"]["Status"]
    commitment = _commitment(core, ctx)
    now = core.clock.now()
    if wanted == "ENABLED":
        if commitment["Status"] != "ENABLED":
            commitment = {
                "Status": "ENABLED",
                "StartedAt": now,
                "EarliestAllowedEndAt": now + COMMITMENT_MIN_S,
            }
    elif commitment["Status"] != "DISABLED":
        earliest = commitment.get("EarliestAllowedEndAt", now)
        if now < earliest:
            commitment["Status"] = "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
            commitment["EndedAt"] = earliest
        else:
            commitment = {**commitment, "Status": "DISABLED", "EndedAt": now}
    await core.meta.put(ACCOUNTS, f"{ctx.account}/{ctx.region}", json.dumps(commitment).encode())
    return {"MinimumThroughputBillingCommitment": commitment}
