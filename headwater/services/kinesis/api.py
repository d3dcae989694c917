"""Kinesis Data Streams: one entry per operation of the botocore model, nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import consumers, distribution, records, settings, shards, streams, subscribe
from headwater.services.kinesis.channels.api import CHANNEL_OPERATIONS
from headwater.services.kinesis.channels.core import ChannelCore
from headwater.services.kinesis.queues.api import BY_RESOURCE_ARN, QUEUE_OPERATIONS
from headwater.services.kinesis.queues.core import QueueCore
from headwater.services.kinesis.queues.tags import is_queue_arn
from headwater.services.kinesis.service import KinesisCore
from headwater.services.operations import ServiceApi

Handler = Callable[[KinesisCore, dict[str, Any], RequestContext], Awaitable[Any]]

OPERATIONS: dict[str, Handler] = {
    "AddTagsToStream": settings.add_tags_to_stream,
    "CreateStream": streams.create_stream,
    "DecreaseStreamRetentionPeriod": settings.decrease_retention,
    "DeleteResourcePolicy": settings.delete_resource_policy,
    "DeleteStream": streams.delete_stream,
    "DeregisterStreamConsumer": consumers.deregister,
    "DescribeAccountSettings": settings.describe_account_settings,
    "DescribeLimits": streams.describe_limits,
    "DescribeStream": streams.describe_stream,
    "DescribeStreamConsumer": consumers.describe_consumer,
    "DescribeStreamSummary": streams.describe_stream_summary,
    "DisableEnhancedMonitoring": settings.disable_monitoring,
    "EnableEnhancedMonitoring": settings.enable_monitoring,
    "GetRecords": records.get_records,
    "GetResourcePolicy": settings.get_resource_policy,
    "GetShardIterator": records.get_shard_iterator,
    "IncreaseStreamRetentionPeriod": settings.increase_retention,
    "ListShards": shards.list_shards,
    "ListStreamConsumers": consumers.list_consumers,
    "ListStreams": streams.list_streams,
    "ListTagsForResource": settings.list_tags_for_resource,
    "ListTagsForStream": settings.list_tags_for_stream,
    "MergeShards": shards.merge_shards,
    "PutRecord": records.put_record,
    "PutRecords": records.put_records,
    "PutResourcePolicy": settings.put_resource_policy,
    "RegisterStreamConsumer": consumers.register,
    "RemoveTagsFromStream": settings.remove_tags_from_stream,
    "SplitShard": shards.split_shard,
    "StartStreamEncryption": settings.start_encryption,
    "StopStreamEncryption": settings.stop_encryption,
    "SubscribeToShard": subscribe.subscribe_to_shard,
    "TagResource": settings.tag_resource,
    "UntagResource": settings.untag_resource,
    "UpdateAccountSettings": settings.update_account_settings,
    "UpdateMaxRecordSize": settings.update_max_record_size,
    "UpdateShardCount": shards.update_shard_count,
    "UpdateStreamMode": settings.update_stream_mode,
    "UpdateStreamRecordDistributionStrategy": distribution.update_record_distribution_strategy,
    "UpdateStreamWarmThroughput": settings.update_warm_throughput,
}


class KinesisApi(ServiceApi):
    """The stream operations bound to the Kinesis core, the queue operations to the queue core, the
    channel operations to the channel core."""

    def __init__(self, core: KinesisCore, queues: QueueCore, channels: ChannelCore) -> None:
        super().__init__(core, OPERATIONS)
        self._bound.update(
            {name: self._bind_to(queues, handler) for name, handler in QUEUE_OPERATIONS.items()}
        )
        self._bound.update(
            {name: self._bind_to(channels, handler) for name, handler in CHANNEL_OPERATIONS.items()}
        )
        for name, handler in BY_RESOURCE_ARN.items():
            self._bound[name] = self._by_arn(self._bound[name], self._bind_to(queues, handler))

    @staticmethod
    def _by_arn(
        streams: Callable[..., Awaitable[Any]], queues: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        def bound(params: dict[str, Any], ctx: RequestContext) -> Awaitable[Any]:
            return (queues if is_queue_arn(params.get("ResourceARN")) else streams)(params, ctx)

        return bound

    @staticmethod
    def _bind_to(target: Any, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        def bound(params: dict[str, Any], ctx: RequestContext) -> Awaitable[Any]:
            return handler(target, params, ctx)

        return bound
