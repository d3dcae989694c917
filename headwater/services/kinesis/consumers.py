"""Enhanced fan-out consumers: Register/Deregister/Describe/ListStreamConsumers."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors, tokens
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Consumer, Stream

MAX_CONSUMERS = 20
MAX_CONSUMERS_ADVANTAGE = 50
MAX_CREATING = 5
TOKEN_TTL_S = 300


def describe(stream: Stream, consumer: Consumer, *, with_stream: bool = False) -> dict[str, Any]:
    description = {
        "ConsumerName": consumer.name,
        "ConsumerARN": stream.consumer_arn(consumer),
        "ConsumerStatus": consumer.status,
        "ConsumerCreationTimestamp": consumer.created,
    }
    if with_stream:
        description["StreamARN"] = stream.arn
    return description


def find_consumer(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> tuple[Stream, Consumer]:
    """By ConsumerARN, or by StreamARN plus ConsumerName."""
    arn = params.get("ConsumerARN")
    if arn:
        stream_arn, sep, rest = arn.partition("/consumer/")
        if not sep:
            raise errors.invalid_argument(f"Invalid ConsumerARN: {arn}")
        stream = core.find_arn(stream_arn, ctx)
        consumer = stream.consumers.get(rest.rsplit(":", 1)[0])
        if consumer is None or stream.consumer_arn(consumer) != arn:
            raise AwsError(
                "ResourceNotFoundException", f"Consumer {arn} under account {stream.account} not found."
            )
        return stream, consumer
    stream_arn, name = params.get("StreamARN"), params.get("ConsumerName")
    if not stream_arn or not name:
        raise errors.invalid_argument(
            "Either ConsumerARN or both StreamARN and ConsumerName must be provided."
        )
    stream = core.find_arn(stream_arn, ctx)
    consumer = stream.consumers.get(name)
    if consumer is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"Consumer {name} under stream {stream.name} under account {stream.account} not found.",
        )
    return stream, consumer


async def register(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("RegisterStreamConsumer", ctx.account)
    stream = core.find_arn(params["StreamARN"], ctx)
    name = params["ConsumerName"]
    if name in stream.consumers:
        raise AwsError(
            "ResourceInUseException",
            f"Consumer {stream.consumer_arn(stream.consumers[name])} under account {stream.account} already exists.",
        )
    limit = (
        MAX_CONSUMERS_ADVANTAGE if stream.mode == "ON_DEMAND" and stream.warm_target_mibps else MAX_CONSUMERS
    )
    if len(stream.consumers) + core.queue_count(stream) >= limit:  # queues share the limit
        raise errors.limit_exceeded(
            f"Stream {stream.name} under account {stream.account} has reached the limit of {limit} consumers."
        )
    creating = sum(1 for c in stream.consumers.values() if c.status == "CREATING")
    if core.config.limits and creating >= MAX_CREATING:
        raise errors.limit_exceeded(
            f"Stream {stream.name} under account {stream.account} has {MAX_CREATING} consumers in CREATING state."
        )
    consumer = Consumer(
        name, core.clock.now_ms() / 1000, tags=dict(params.get("Tags", {}))
    )  # AWS: ms precision
    if core.config.transition_delay <= 0:
        consumer.status = "ACTIVE"
    stream.consumers[name] = consumer
    await core.save(stream)
    if consumer.status == "CREATING":
        core.spawn(core.consumer_transition(stream, name, "ACTIVE"))
    return {"Consumer": describe(stream, consumer)}


async def deregister(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream, consumer = find_consumer(core, params, ctx)
    core.control_rate("DeregisterStreamConsumer", stream.account, stream.name)
    core.end_subscriptions(stream.consumer_arn(consumer))
    if core.config.transition_delay <= 0:
        del stream.consumers[consumer.name]
        core.forget_consumer(stream, consumer.name)
        await core.save(stream)
        return {}
    consumer.status = "DELETING"
    await core.save(stream)
    core.spawn(core.consumer_transition(stream, consumer.name, None))
    return {}


async def describe_consumer(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream, consumer = find_consumer(core, params, ctx)
    core.control_rate("DescribeStreamConsumer", stream.account, stream.name)
    return {"ConsumerDescription": describe(stream, consumer, with_stream=True)}


async def list_consumers(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    stream = core.find_arn(params["StreamARN"], ctx)
    core.control_rate("ListStreamConsumers", stream.account, stream.name)
    created = params.get("StreamCreationTimestamp")
    if created is not None and abs(created - stream.created) > 0.001:
        raise errors.stream_not_found(stream.name, stream.account)
    after = None
    token = params.get("NextToken")
    if token is not None:
        try:
            state = tokens.decode(token)
            after, issued = state["after"], float(state["t"])
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_argument(f"Invalid NextToken: {token}") from None
        if core.clock.now() - issued > TOKEN_TTL_S:
            raise AwsError("ExpiredNextTokenException", f"The NextToken has expired: {token}")
    names = sorted(stream.consumers)
    if after is not None:
        names = [n for n in names if n > after]
    limit = params.get("MaxResults", 100)
    page = names[:limit]
    result: dict[str, Any] = {"Consumers": [describe(stream, stream.consumers[n]) for n in page]}
    if len(names) > limit:
        result["NextToken"] = tokens.encode({"after": page[-1], "t": core.clock.now()})
    return result
