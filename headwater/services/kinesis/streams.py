"""Stream lifecycle: CreateStream, DeleteStream, DescribeStream(Summary), ListStreams, DescribeLimits."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import errors, tokens
from headwater.services.kinesis.hashing import even_ranges
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

# The default shard quota: 20,000 in the three largest Regions, 1,000 elsewhere (the Kinesis
# quotas page says "1,000 or 6,000" for the other Regions without naming which: the lower one).
SHARD_LIMIT = 20_000
LARGE_REGIONS = frozenset(("us-east-1", "us-west-2", "eu-west-1"))
OTHER_REGION_SHARD_LIMIT = 1_000


def shard_limit(region: str) -> int:
    return SHARD_LIMIT if region in LARGE_REGIONS else OTHER_REGION_SHARD_LIMIT


ON_DEMAND_STREAM_LIMIT = 50
ON_DEMAND_SHARDS = 4
MAX_TAGS = 50


def new_shard(
    core: KinesisCore,
    stream: Stream,
    start: int,
    end: int,
    created_ms: int | None = None,
    *,
    parent: str | None = None,
    adjacent_parent: str | None = None,
) -> Shard:
    index = stream.next_shard_index
    stream.next_shard_index += 1
    created_ms = core.clock.now_ms() if created_ms is None else created_ms
    shard_id = f"shardId-{index:012d}"
    partition = f"kinesis/{stream.account}/{stream.region}/{stream.name}/{int(stream.created)}/{shard_id}"
    return Shard(shard_id, index, start, end, created_ms, partition, parent, adjacent_parent)


def streams_of(core: KinesisCore, account: str, region: str) -> list[Stream]:
    return [s for (a, r, _), s in core.streams.items() if a == account and r == region]


def open_shard_total(core: KinesisCore, account: str, region: str) -> int:
    return sum(len(s.open_shards) for s in streams_of(core, account, region))


def on_demand_total(core: KinesisCore, account: str, region: str) -> int:
    return sum(1 for s in streams_of(core, account, region) if s.mode == "ON_DEMAND")


async def create_stream(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("CreateStream", ctx.account)
    name = params["StreamName"]
    mode = params.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
    distribution = params.get("RecordDistributionStrategy", "USER_PARTITION_KEY")
    if distribution == "AUTO" and mode != "ON_DEMAND":
        raise errors.invalid_argument(
            "The record distribution strategy AUTO is only supported for streams in ON_DEMAND mode."
        )
    count: int | None = params.get("ShardCount")
    if mode == "ON_DEMAND":
        if count is not None:
            raise errors.validation("ShardCount must not be specified for ON_DEMAND stream mode.")
        on_demand = on_demand_total(core, ctx.account, ctx.region)
        if on_demand >= ON_DEMAND_STREAM_LIMIT:
            raise errors.limit_exceeded(
                f"This request would exceed the on-demand stream limit of {ON_DEMAND_STREAM_LIMIT} "
                f"for account {ctx.account} in {ctx.region}."
            )
        # a shard is 1 MiB/s: warm throughput asks for that much capacity from the start
        count = max(ON_DEMAND_SHARDS, min(params.get("WarmThroughputMiBps") or 0, 10_240))
    elif count is None:
        raise errors.invalid_argument("ShardCount is required for PROVISIONED stream mode.")
    tags = params.get("Tags", {})
    if len(tags) > MAX_TAGS:
        raise errors.invalid_argument(
            f"Failed to create stream {name}: a stream can have at most {MAX_TAGS} tags."
        )
    key = (ctx.account, ctx.region, name)
    if key in core.streams:
        raise errors.AwsError(
            "ResourceInUseException", f"Stream {name} under account {ctx.account} already exists."
        )
    total = open_shard_total(core, ctx.account, ctx.region)
    limit = shard_limit(ctx.region)
    if core.config.limits and total + count > limit:
        raise errors.limit_exceeded(
            f"This request would exceed the shard limit for the account {ctx.account} in {ctx.region}. "
            f"Current shard count for the account: {total}. Limit: {limit}. "
            f"Number of additional shards that would have resulted from this request: {count}. "
            "Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
            "for current limits and how to request higher limits."
        )
    stream = Stream(
        ctx.account,
        ctx.region,
        name,
        created=core.clock.now_ms() / 1000,  # AWS timestamps have millisecond precision
        mode=mode,
        tags=dict(tags),
        max_record_kib=params.get("MaxRecordSizeInKiB", 1024),
        warm_target_mibps=params.get("WarmThroughputMiBps"),
        distribution=distribution,
    )
    born_ms = int(
        stream.created * 1000
    )  # one birth time for all initial shards: ListShards filters rely on it
    for start, end in even_ranges(count):
        shard = new_shard(core, stream, start, end, born_ms)
        await core.log.create_partition(shard.partition)
        stream.shards.append(shard)
    core.streams[key] = stream
    if core.config.transition_delay <= 0:
        stream.status = "ACTIVE"
        await core.save(stream)
    else:
        await core.save(stream)
        core.spawn(core.transition(stream, "ACTIVE"))
    return {}


async def delete_stream(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("DeleteStream", ctx.account)
    stream = core.find(params, ctx)
    active_consumers = [c for c in stream.consumers.values() if c.status != "DELETING"]
    if active_consumers and not params.get("EnforceConsumerDeletion", False):
        raise errors.AwsError(
            "ResourceInUseException",
            f"Stream {stream.name} under account {stream.account} has registered consumers. "
            "Specify EnforceConsumerDeletion to delete the stream and its consumers.",
        )
    if stream.status == "DELETING":
        return {}
    if core.queue_count(stream):
        raise errors.AwsError(
            "ResourceInUseException",
            f"Stream {stream.name} under account {stream.account} has queues. "
            "Delete every queue on the stream before deleting the stream.",
        )
    if core.channel_count(stream):
        raise errors.AwsError(
            "ResourceInUseException",
            f"Stream {stream.name} under account {stream.account} has channels. "
            "Delete every channel on the stream before deleting the stream.",
        )
    stream.status = "DELETING"
    await core.save(stream)
    if core.config.transition_delay <= 0:
        await core.finish_delete(stream)
    else:
        core.spawn(core.finish_delete(stream))
    return {}


def _stream_mode(stream: Stream) -> dict[str, str]:
    return {"StreamMode": stream.mode}


def _monitoring(stream: Stream) -> list[dict[str, Any]]:
    return [{"ShardLevelMetrics": list(stream.monitoring)}]


def _common(stream: Stream) -> dict[str, Any]:
    description: dict[str, Any] = {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStatus": stream.status,
        "StreamModeDetails": _stream_mode(stream),
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": stream.created,
        "EnhancedMonitoring": _monitoring(stream),
        "EncryptionType": stream.encryption,
    }
    if stream.key_id:
        description["KeyId"] = stream.key_id
    return description


async def describe_stream(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("DescribeStream", ctx.account)
    stream = core.find(params, ctx)
    limit = params.get("Limit", 100)
    start = params.get("ExclusiveStartShardId")
    shards = stream.shards
    if start is not None:
        shards = [s for s in shards if s.shard_id > start]
    page = shards[:limit]
    description = _common(stream)
    description["Shards"] = [s.describe() for s in page]
    description["HasMoreShards"] = len(shards) > limit
    return {"StreamDescription": description}


async def describe_stream_summary(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("DescribeStreamSummary", ctx.account)
    stream = core.find(params, ctx)
    summary = _common(stream)
    summary["OpenShardCount"] = len(stream.open_shards)
    summary["ConsumerCount"] = len(stream.consumers)
    summary["MaxRecordSizeInKiB"] = stream.max_record_kib
    summary["QueueCount"] = core.queue_count(stream)
    if stream.mode == "ON_DEMAND":
        summary["RecordDistributionStrategy"] = stream.distribution
    if stream.mode == "ON_DEMAND" and stream.warm_target_mibps is not None:
        summary["WarmThroughput"] = {
            "TargetMiBps": stream.warm_target_mibps,
            "CurrentMiBps": len(stream.open_shards),  # a shard is 1 MiB/s of write capacity
        }
    # Never a StreamId: a well-formed one makes SDKs bypass the custom endpoint and call AWS.
    return {"StreamDescriptionSummary": summary}


async def list_streams(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("ListStreams", ctx.account)
    limit = params.get("Limit", 100)
    start = params.get("ExclusiveStartStreamName")
    token = params.get("NextToken")
    if token is not None:
        if start is not None:
            raise errors.invalid_argument(
                "NextToken and ExclusiveStartStreamName cannot be provided together."
            )
        try:
            start = tokens.decode(token).get("after")
        except ValueError:
            raise errors.invalid_argument(f"Invalid NextToken: {token}") from None
    names = sorted(s.name for s in streams_of(core, ctx.account, ctx.region))
    if start is not None:
        names = [n for n in names if n > start]
    page = names[:limit]
    has_more = len(names) > limit
    summaries = []
    for name in page:
        stream = core.streams[(ctx.account, ctx.region, name)]
        summaries.append(
            {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": stream.status,
                "StreamModeDetails": _stream_mode(stream),
                "StreamCreationTimestamp": stream.created,
            }
        )
    result: dict[str, Any] = {"StreamNames": page, "HasMoreStreams": has_more, "StreamSummaries": summaries}
    if has_more and page:
        result["NextToken"] = tokens.encode({"after": page[-1]})
    return result


async def describe_limits(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("DescribeLimits", ctx.account)
    on_demand = on_demand_total(core, ctx.account, ctx.region)
    return {
        "ShardLimit": shard_limit(ctx.region),
        "OpenShardCount": open_shard_total(core, ctx.account, ctx.region),
        "OnDemandStreamCount": on_demand,
        "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
    }
