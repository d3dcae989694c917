"""The control plane: Create/Delete/Describe/ListDeliveryStreams, UpdateDestination, tags and
server-side encryption, with AWS's checks and errors (the model's own constraints are checked
before these run)."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.firehose import errors, s3_settings, sealing
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.destinations import delivery as remote_delivery
from headwater.services.firehose.processing import checks as processing_checks
from headwater.services.firehose.state import DeliveryStream, Destination
from headwater.services.ports import KeyRing, KeyRingError

# the destination configurations CreateDeliveryStream takes, by the prefix of their member names
KINDS = (
    "S3",
    "ExtendedS3",
    "Redshift",
    "Elasticsearch",
    "Amazonopensearchservice",
    "AmazonOpenSearchServerless",
    "Splunk",
    "HttpEndpoint",
    "Snowflake",
    "Iceberg",
)
MAX_TAGS = 50


def _destination_id(index: int) -> str:
    return f"destinationId-{index:012d}"


async def create_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    name = params["DeliveryStreamName"]
    if f"{ctx.account}/{ctx.region}/{name}" in core.streams:
        raise errors.exists(name, ctx.account)
    stream_type = params.get("DeliveryStreamType") or "DirectPut"
    given = [kind for kind in KINDS if params.get(f"{kind}DestinationConfiguration") is not None]
    if len(given) != 1:
        raise errors.invalid("Exactly one destination configuration must be specified.")
    kind = given[0]
    kind, config = _checked(kind, dict(params[f"{kind}DestinationConfiguration"]))
    source = None
    if stream_type == "KinesisStreamAsSource":
        source = params.get("KinesisStreamSourceConfiguration")
        if source is None:
            raise errors.invalid(
                "KinesisStreamSourceConfiguration is required for KinesisStreamAsSource delivery streams."
            )
    elif params.get("KinesisStreamSourceConfiguration") is not None:
        raise errors.invalid(
            f"KinesisStreamSourceConfiguration is not allowed for {stream_type} delivery streams."
        )
    encryption = None
    requested = params.get("DeliveryStreamEncryptionConfigurationInput")
    if requested is not None:
        if stream_type != "DirectPut":
            raise errors.invalid(
                "Server-side encryption is not supported for delivery streams of type "
                f"{stream_type}; use the source's own encryption."
            )
        encryption = await _encryption(core, requested, ctx)
    tags = _tags(params.get("Tags") or [])
    stream = DeliveryStream(
        ctx.account,
        ctx.region,
        name,
        stream_type,
        core.new_partition(),
        core.clock.now_ms() / 1000,
        destinations=[Destination(_destination_id(1), kind, config)],
        source=source,
        tags=tags,
        encryption=encryption,
    )
    await core.create(stream)
    return {"DeliveryStreamARN": stream.arn}


def _checked(kind: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A destination's (kind, configuration) after the checks CreateDeliveryStream and
    UpdateDestination both make (S3 ones normalized with AWS's defaults)."""
    if kind in ("S3", "ExtendedS3"):
        config, kind = s3_settings.normalize(config), "ExtendedS3"
    elif (problem := remote_delivery.problem(kind, config)) is not None:
        raise errors.invalid(problem)
    if (problem := processing_checks.problem(config)) is not None:
        raise errors.invalid(problem)
    return kind, config


async def _encryption(core: FirehoseCore, requested: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key_type = requested["KeyType"]
    key_arn = requested.get("KeyARN")
    if key_type == "CUSTOMER_MANAGED_CMK":
        if not key_arn:
            raise errors.invalid("KeyARN must be specified when KeyType is CUSTOMER_MANAGED_CMK.")
        ring = core.ports.find(KeyRing)
        if ring is not None:
            try:
                key_arn = ring.check(ctx.account, ctx.region, key_arn)
            except KeyRingError as error:
                raise errors.kms("KMS.NotFoundException", str(error)) from None
        return {"KeyARN": key_arn, "KeyType": key_type, "Status": "ENABLED"}
    if key_arn:
        raise errors.invalid("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.")
    if core.keys is not None:  # Firehose's own key, made on first use (`sealing`)
        await core.keys.resolve(ctx.account, ctx.region, sealing.AWS_OWNED_KEY)
    return {"KeyType": key_type, "Status": "ENABLED"}


def _tags(given: list[dict[str, Any]], current: dict[str, str] | None = None) -> dict[str, str]:
    tags = dict(current or {})
    for tag in given:
        tags[tag["Key"]] = tag.get("Value", "")
    if len(tags) > MAX_TAGS:
        raise errors.limit(f"A delivery stream cannot have more than {MAX_TAGS} tags.")
    return tags


async def delete_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    if stream.status != "DELETING":
        await core.delete(stream)
    return {}


def _describe_destination(destination: Destination) -> dict[str, Any]:
    described: dict[str, Any] = {"DestinationId": destination.destination_id}
    if destination.kind == "ExtendedS3":
        described.update(s3_settings.describe(destination.config))
    else:
        described[f"{destination.kind}DestinationDescription"] = destination.config
    return described


async def describe_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    destinations = stream.destinations
    start = params.get("ExclusiveStartDestinationId")
    if start is not None:
        ids = [d.destination_id for d in destinations]
        destinations = destinations[ids.index(start) + 1 :] if start in ids else []
    limit = params.get("Limit") or len(destinations) or 1
    shown = destinations[:limit]
    description: dict[str, Any] = {
        "DeliveryStreamName": stream.name,
        "DeliveryStreamARN": stream.arn,
        "DeliveryStreamStatus": stream.status,
        "DeliveryStreamEncryptionConfiguration": stream.encryption or {"Status": "DISABLED"},
        "DeliveryStreamType": stream.stream_type,
        "VersionId": str(stream.version_id),
        "CreateTimestamp": stream.created,
        "Destinations": [_describe_destination(d) for d in shown],
        "HasMoreDestinations": len(destinations) > len(shown),
    }
    if stream.updated is not None:
        description["LastUpdateTimestamp"] = stream.updated
    if stream.failure is not None:
        description["FailureDescription"] = stream.failure
    if stream.source is not None:
        description["Source"] = {
            "KinesisStreamSourceDescription": {
                **stream.source,
                "DeliveryStartTimestamp": stream.created,
            }
        }
    elif stream.stream_type == "DirectPut":
        description["Source"] = {"DirectPutSourceDescription": {"ThroughputHintInMBs": 5}}
    return {"DeliveryStreamDescription": description}


async def list_delivery_streams(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    wanted = params.get("DeliveryStreamType")
    names = [s.name for s in core.of(ctx.account, ctx.region) if wanted in (None, s.stream_type)]
    start = params.get("ExclusiveStartDeliveryStreamName")
    if start is not None:
        names = [n for n in names if n > start]
    limit = params.get("Limit") or 10
    return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}


async def update_destination(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    if stream.status != "ACTIVE":
        raise errors.in_use(stream.name, stream.status)
    given_version = params["CurrentDeliveryStreamVersionId"]
    if given_version != str(stream.version_id):
        raise errors.version_mismatch(stream.name, given_version, stream.version_id)
    destination = next((d for d in stream.destinations if d.destination_id == params["DestinationId"]), None)
    if destination is None:
        raise errors.invalid(f"Destination {params['DestinationId']} not found in Firehose {stream.name}.")
    updates = [kind for kind in KINDS if params.get(f"{kind}DestinationUpdate") is not None]
    if len(updates) != 1:
        raise errors.invalid("Exactly one destination update must be specified.")
    kind = updates[0]
    update = params[f"{kind}DestinationUpdate"]
    if kind in ("S3", "ExtendedS3") and destination.kind == "ExtendedS3":
        was_partitioned = s3_settings.enabled(destination.config.get("DynamicPartitioningConfiguration"))
        merged = s3_settings.merge(destination.config, update)
        if s3_settings.enabled(merged.get("DynamicPartitioningConfiguration")) != was_partitioned:
            raise errors.invalid(
                "Dynamic Partitioning can only be enabled at delivery stream creation and cannot be disabled."
            )
        new_kind, new_config = _checked("ExtendedS3", merged)
    elif kind == destination.kind:
        new_kind, new_config = _checked(kind, {**destination.config, **update})
    else:  # a change of destination type: the update is the whole new configuration
        new_kind, new_config = _checked(kind, dict(update))
    destination.kind, destination.config = new_kind, new_config
    stream.version_id += 1
    stream.updated = core.clock.now_ms() / 1000
    await core.save(stream)
    core.restart_worker(stream)
    return {}


async def tag_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    stream.tags = _tags(params["Tags"], stream.tags)
    await core.save(stream)
    return {}


async def untag_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    for key in params["TagKeys"]:
        stream.tags.pop(key, None)
    await core.save(stream)
    return {}


async def list_tags_for_delivery_stream(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = core.find(params["DeliveryStreamName"], ctx)
    keys = list(stream.tags)
    start = params.get("ExclusiveStartTagKey")
    if start is not None:
        keys = keys[keys.index(start) + 1 :] if start in keys else []
    limit = params.get("Limit") or 50
    return {
        "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
        "HasMoreTags": len(keys) > limit,
    }


def _encryptable(core: FirehoseCore, params: dict[str, Any], ctx: RequestContext) -> DeliveryStream:
    """The named stream, when its encryption may change now (DirectPut, ACTIVE)."""
    stream = core.find(params["DeliveryStreamName"], ctx)
    if stream.stream_type != "DirectPut":
        raise errors.invalid(
            f"Server-side encryption is not supported for delivery streams of type {stream.stream_type}."
        )
    if stream.status != "ACTIVE":
        raise errors.in_use(stream.name, stream.status)
    return stream


async def start_delivery_stream_encryption(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = _encryptable(core, params, ctx)
    requested = params.get("DeliveryStreamEncryptionConfigurationInput") or {"KeyType": "AWS_OWNED_CMK"}
    await core.change_encryption(stream, await _encryption(core, requested, ctx))
    return {}


async def stop_delivery_stream_encryption(
    core: FirehoseCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    stream = _encryptable(core, params, ctx)
    if (stream.encryption or {}).get("Status", "DISABLED") != "DISABLED":
        await core.change_encryption(stream, {"Status": "DISABLED"})
    return {}
