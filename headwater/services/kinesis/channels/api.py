"""CreateChannel, DescribeChannel, ListChannels, UpdateChannel and DeleteChannel, with AWS's checks
(the model's own constraints are checked before these run). Where AWS's exact wording is not
published, the messages are Headwater's."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.runtime.ids import new_uuid
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors, tokens
from headwater.services.kinesis.channels import model
from headwater.services.kinesis.channels.core import ChannelCore
from headwater.services.kinesis.channels.model import Channel

Handler = Callable[[ChannelCore, dict[str, Any], RequestContext], Awaitable[Any]]
CHANNEL_ARN = re.compile(r"arn:aws[^:]*:kinesis:([^:]*):(\d{12}):channel/([a-zA-Z0-9_.-]+)")
LIST_LIMIT = 100
TOKEN_TTL_MS = 300_000  # as ListStreams' and ListShards' tokens


def _find(core: ChannelCore, arn: str) -> Channel:
    match = CHANNEL_ARN.fullmatch(arn)
    if match is None:
        raise errors.invalid_argument(f"Invalid ChannelARN: {arn}")
    region, account, name = match.groups()
    channel = core.channels.get(f"{account}/{region}/{name}")
    if channel is None:
        raise errors.AwsError(
            "ResourceNotFoundException", f"Channel {name} under account {account} not found."
        )
    return channel


def _only_one(params: dict[str, Any]) -> str:
    s3, tables = params.get("S3DestinationConfiguration"), params.get("S3TablesDestinationConfiguration")
    if (s3 is None) == (tables is None):
        raise errors.validation(
            "Exactly one of S3DestinationConfiguration or S3TablesDestinationConfiguration must be specified."
        )
    return "S3" if s3 is not None else "S3_TABLES"


def _dead_letter(given: dict[str, Any] | None, storage: dict[str, Any] | None) -> dict[str, Any]:
    if given is not None:
        return dict(given)
    assert storage is not None  # S3 Tables destinations require one (the model says so)
    return {
        "BucketARN": storage["BucketARN"],
        "ExpectedBucketOwner": storage["ExpectedBucketOwner"],
        "ErrorOutputPrefix": model.DEFAULT_ERROR_PREFIX,
    }


def _destination(kind: str, given: dict[str, Any], fmt: dict[str, Any]) -> dict[str, Any]:
    record_format = fmt["RecordFormatType"]
    freshness = model.check_freshness(given.get("DataFreshnessInSeconds"))
    if kind == "S3":
        if record_format not in model.S3_FORMATS:
            raise errors.validation(
                f"RecordFormatType {record_format} is not supported for general purpose Amazon S3 "
                f"destinations (supported: {', '.join(model.S3_FORMATS)})."
            )
        storage = dict(given["StorageConfiguration"])
        template = storage.get("OutputKeyTemplate")
        if template is not None:
            model.check_template(template)
        storage.setdefault("StorageClass", "STANDARD")
        return {
            "DataFreshnessInSeconds": freshness,
            "DeadLetterQueueS3Configuration": _dead_letter(
                given.get("DeadLetterQueueS3Configuration"), storage
            ),
            "StorageConfiguration": storage,
        }
    if record_format not in model.S3_TABLES_FORMATS:
        raise errors.validation(
            f"RecordFormatType {record_format} is not supported for streaming table destinations "
            f"(supported: {', '.join(model.S3_TABLES_FORMATS)})."
        )
    if record_format == "GSR_JSON" and not fmt.get("GSRSchemaARN"):
        raise errors.validation("GSRSchemaARN is required when the channel destination is a streaming table.")
    tables = given["S3TablesConfigurationList"]
    if len(tables) != 1:
        raise errors.validation("Currently, one table is supported per channel.")
    return {
        "DataFreshnessInSeconds": freshness,
        "DeadLetterQueueS3Configuration": dict(given["DeadLetterQueueS3Configuration"]),
        "S3TablesConfigurationList": [dict(t) for t in tables],
    }


async def create_channel(core: ChannelCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    kinesis = core.kinesis
    kinesis.control_rate("CreateChannel", ctx.account)
    name = params["ChannelName"]
    kind = _only_one(params)
    configs = params["StreamConfigurationList"]
    if len(configs) != 1:
        raise errors.validation("Currently, one stream is supported per channel.")
    stream = kinesis.find_arn(configs[0]["StreamARN"], ctx)
    if f"{ctx.account}/{ctx.region}/{name}" in core.channels:
        raise errors.AwsError(
            "ResourceInUseException", f"Channel {name} under account {ctx.account} already exists."
        )
    if stream.status != "ACTIVE":
        raise errors.stream_in_use(stream.name, stream.account, stream.status)
    if stream.mode != "ON_DEMAND":
        raise errors.validation(
            f"Stream {stream.name} under account {stream.account} is in PROVISIONED mode: channels are "
            "only supported for data streams with the on-demand capacity mode."
        )
    fmt = dict(configs[0]["RecordConfiguration"])
    given = params["S3DestinationConfiguration" if kind == "S3" else "S3TablesDestinationConfiguration"]
    destination = _destination(kind, given, fmt)
    encryption = params.get("EncryptionConfiguration")
    if encryption is not None and encryption["KeyId"] in ("alias/aws/kinesis", "aws/kinesis"):
        raise errors.validation("The Amazon Kinesis Data Streams service key (aws/kinesis) cannot be used.")
    if any(c.stream_arn == stream.arn and c.destination_type == kind for c in core.channels.values()):
        raise errors.limit_exceeded(
            f"Stream {stream.name} under account {stream.account} already has a channel of destination "
            f"type {kind}; one of each type is allowed per stream."
        )
    channel_id = new_uuid()
    channel = Channel(
        account=ctx.account,
        region=ctx.region,
        name=name,
        channel_id=channel_id,
        created=core.clock.now_ms() / 1000,
        role_arn=params["ServiceExecutionRoleARN"],
        stream_arn=stream.arn,
        stream_created=stream.created,
        record_configuration=fmt,
        destination_type=kind,
        destination=destination,
        logging=model.logging_description(params.get("LoggingConfiguration"), name, channel_id),
        encryption=dict(encryption) if encryption is not None else None,
        tags=dict(params.get("Tags") or {}),
    )
    answer = {"ChannelDescription": describe(channel, None)}  # CREATING, as AWS answers
    await core.create(channel)
    return answer


def describe(channel: Channel, problem: str | None) -> dict[str, Any]:
    status, reason = channel.status, channel.reason
    if problem is not None:
        status, reason = "FAILED", problem
    description: dict[str, Any] = {
        "ChannelName": channel.name,
        "ChannelARN": channel.arn,
        "ChannelId": channel.channel_id,
        "ChannelStatus": status,
        "ChannelCreationTimestamp": channel.created,
        "ServiceExecutionRoleARN": channel.role_arn,
        "StreamConfigurationList": [
            {
                "StreamARN": channel.stream_arn,
                "StreamCreationTimestamp": channel.stream_created,
                "RecordConfiguration": channel.record_configuration,
            }
        ],
        "LoggingConfiguration": channel.logging,
    }
    if reason:
        description["ChannelStatusReason"] = reason
    key = (
        "S3DestinationConfiguration"
        if channel.destination_type == "S3"
        else "S3TablesDestinationConfiguration"
    )
    description[key] = channel.destination
    if channel.encryption is not None:
        description["EncryptionConfiguration"] = channel.encryption
    return description


async def describe_channel(core: ChannelCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.kinesis.control_rate("DescribeChannel", ctx.account)
    channel = _find(core, params["ChannelARN"])
    return {"ChannelDescription": describe(channel, core.problem(channel))}


def _matches(channel: Channel, filters: list[dict[str, Any]] | None) -> bool:
    if not filters:
        return True
    for wanted in filters:
        if wanted["StreamARN"] != channel.stream_arn:
            continue
        created = wanted.get("StreamCreationTimestamp")
        if created is None or int(_seconds(created)) == int(channel.stream_created):
            return True
    return False


def _seconds(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


async def list_channels(core: ChannelCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.kinesis.control_rate("ListChannels", ctx.account)
    now = core.clock.now_ms()
    after = ""
    token = params.get("NextToken")
    if token is not None:
        try:
            state = tokens.decode(token)
            after, issued = str(state["after"]), int(state["at"])
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_argument(f"Invalid NextToken: {token}") from None
        if now - issued > TOKEN_TTL_MS:
            raise errors.AwsError("ExpiredNextTokenException", f"The NextToken {token} has expired.")
    limit = min(params.get("MaxResults") or LIST_LIMIT, LIST_LIMIT)
    filters = params.get("StreamFilter")
    chosen = [c for c in core.of(ctx.account, ctx.region) if c.name > after and _matches(c, filters)]
    page = chosen[:limit]
    answer: dict[str, Any] = {"ChannelSummaries": [_summary(core, c) for c in page]}
    if len(chosen) > limit:
        answer["NextToken"] = tokens.encode({"after": page[-1].name, "at": now})
    return answer


def _summary(core: ChannelCore, channel: Channel) -> dict[str, Any]:
    described = describe(channel, core.problem(channel))
    summary = {
        "ChannelName": channel.name,
        "ChannelARN": channel.arn,
        "ChannelId": channel.channel_id,
        "ChannelStatus": described["ChannelStatus"],
        "ChannelCreationTimestamp": channel.created,
        "ChannelDestinationType": channel.destination_type,
        "Streams": [{"StreamARN": channel.stream_arn, "StreamCreationTimestamp": channel.stream_created}],
    }
    if "ChannelStatusReason" in described:
        summary["ChannelStatusReason"] = described["ChannelStatusReason"]
    return summary


async def update_channel(core: ChannelCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.kinesis.control_rate("UpdateChannel", ctx.account)
    channel = _find(core, params["ChannelARN"])
    if channel.status != "ACTIVE":
        raise errors.AwsError(
            "ResourceInUseException",
            f"Channel {channel.name} under account {channel.account} not ACTIVE, instead in state "
            f"{channel.status}",
        )
    s3, tables = params.get("S3DestinationConfiguration"), params.get("S3TablesDestinationConfiguration")
    logging_update = params.get("LoggingConfiguration")
    if s3 is None and tables is None and logging_update is None:
        raise errors.validation(
            "At least one of S3DestinationConfiguration, S3TablesDestinationConfiguration or "
            "LoggingConfiguration must be specified."
        )
    if s3 is not None and tables is not None:
        raise errors.validation(
            "Only one of S3DestinationConfiguration or S3TablesDestinationConfiguration may be specified."
        )
    update = s3 if s3 is not None else tables
    if update is not None:
        wanted = "S3" if s3 is not None else "S3_TABLES"
        if wanted != channel.destination_type:
            raise errors.validation(
                f"The channel delivers to {channel.destination_type}: its destination cannot be changed."
            )
        channel.destination["DataFreshnessInSeconds"] = model.check_freshness(
            update["DataFreshnessInSeconds"]
        )
    if logging_update is not None:
        channel.logging = model.logging_description(logging_update, channel.name, channel.channel_id)
    await core.update(channel)
    return {"ChannelDescription": describe(channel, None)}


async def delete_channel(core: ChannelCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.kinesis.control_rate("DeleteChannel", ctx.account)
    channel = _find(core, params["ChannelARN"])
    if channel.status != "DELETING":
        await core.delete(channel)
    return {}


CHANNEL_OPERATIONS: dict[str, Handler] = {
    "CreateChannel": create_channel,
    "DeleteChannel": delete_channel,
    "DescribeChannel": describe_channel,
    "ListChannels": list_channels,
    "UpdateChannel": update_channel,
}
