"""Create/Get/List/Update/DeleteEventSourceMapping, bound to the mappings' owner beside the
functions service's other operations (`with_mappings`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.base import Api, Handler
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.mappings import validate
from headwater.services.functions.mappings.manager import Mappings
from headwater.services.functions.mappings.record import KINESIS, SQS, MappingRecord
from headwater.services.functions.names import function_name
from headwater.services.functions.record import LATEST, FunctionRecord

LIST_LIMIT = 100
BUSY = ("Creating", "Enabling", "Updating", "Disabling", "Deleting")


def not_found() -> AwsError:
    return AwsError(
        "ResourceNotFoundException", "The resource you requested does not exist.", 404, details=errors.USER
    )


def in_use() -> AwsError:
    return AwsError(
        "ResourceInUseException",
        "Cannot update the event source mapping because it is in use.",
        400,
        details=errors.USER,
    )


def _function(mappings: Mappings, value: str, ctx: RequestContext) -> FunctionRecord:
    name, qualifier = function_name(value)
    record = mappings.core.get(ctx.account, ctx.region, name)
    if qualifier not in (None, LATEST):
        raise errors.not_found(f"{record.arn}:{qualifier}")
    return record


def _source_exists(mappings: Mappings, source: str, arn: str) -> bool:
    env = mappings.env
    if source == KINESIS:
        stream, _, consumer = arn.partition("/consumer/")
        if env.streams is None or not env.streams.exists(stream):
            raise errors.invalid(f"Stream not found: {stream}")
        if consumer and not env.streams.consumer_active(arn):
            raise errors.invalid(f"Stream consumer not found: {arn}")
        return False
    if env.queues is None or not env.queues.exists(arn):
        raise errors.invalid(
            "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
            "SQS Error Message: The specified queue does not exist for this wsdl version."
        )
    return env.queues.is_fifo(arn)


def _mine(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> MappingRecord:
    record = mappings.records.get(params.get("UUID") or "")
    if record is None or (record.account, record.region) != (ctx.account, ctx.region):
        raise not_found()
    return record


async def create(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    function = _function(mappings, params["FunctionName"], ctx)
    arn = params.get("EventSourceArn")
    source = validate.source_of(arn)
    assert arn is not None
    validate.check_members(source, params)
    fifo = _source_exists(mappings, source, arn)
    position, stamp = validate.starting(params) if source == KINESIS else (None, None)
    batch = params.get("BatchSize") or validate.DEFAULT_BATCH[source]
    window = params.get("MaximumBatchingWindowInSeconds") or 0
    validate.check_batching(source, fifo, batch, window)
    for other in mappings.records.values():
        if other.source_arn == arn and other.function_arn == function.arn and other.state != "Deleting":
            raise errors.conflict(
                f'The event source arn (" {arn} ") and function (" {function.name} ") provided mapping already '
                f"exists. Please update or delete the existing mapping with UUID {other.uuid}"
            )
    changes = validate.settings(source, params)
    changes.update(batch_size=batch, window_s=window)  # with the defaults filled in
    record = MappingRecord(
        uuid=str(uuid.uuid4()),
        account=ctx.account,
        region=ctx.region,
        function_arn=function.arn,
        source_arn=arn,
        source=source,
        batch_size=batch,
        starting_position=position,
        starting_timestamp=stamp,
        state="Creating",
        last_modified=mappings.core.clock.now(),
    ).evolve(**changes)
    await mappings.save(record)
    return record.configuration()


async def get(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return _mine(mappings, params, ctx).configuration()


async def listing(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    records = sorted(
        (r for r in mappings.records.values() if (r.account, r.region) == (ctx.account, ctx.region)),
        key=lambda r: r.uuid,
    )
    source = params.get("EventSourceArn")
    if source:
        records = [r for r in records if r.source_arn == source]
    if params.get("FunctionName"):
        name, _ = function_name(params["FunctionName"])
        records = [r for r in records if r.function_arn.rsplit(":", 1)[-1] == name]
    marker = params.get("Marker")
    if marker:
        records = [r for r in records if r.uuid > marker]
    limit = min(params.get("MaxItems") or LIST_LIMIT, LIST_LIMIT)
    page = records[:limit]
    result: dict[str, Any] = {"EventSourceMappings": [r.configuration() for r in page]}
    if len(records) > limit:
        result["NextMarker"] = page[-1].uuid
    return result


async def update(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record = _mine(mappings, params, ctx)
    if record.state in BUSY:
        raise in_use()
    validate.check_members(record.source, params)
    changes = validate.settings(record.source, params)
    if params.get("FunctionName"):
        changes["function_arn"] = _function(mappings, params["FunctionName"], ctx).arn
    fifo = (
        record.source == SQS
        and mappings.env.queues is not None
        and mappings.env.queues.is_fifo(record.source_arn)
    )
    updated = record.evolve(**changes)
    validate.check_batching(updated.source, fifo, updated.batch_size, updated.window_s)
    if updated.enabled != record.enabled:
        state = "Enabling" if updated.enabled else "Disabling"
    else:
        state = "Updating"
    updated = updated.evolve(state=state, last_modified=mappings.core.clock.now())
    await mappings.save(updated)
    return updated.configuration()


async def delete(mappings: Mappings, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record = _mine(mappings, params, ctx)
    if record.state in ("Creating", "Enabling", "Updating", "Disabling"):
        raise in_use()
    deleting = record.evolve(state="Deleting", last_modified=mappings.core.clock.now())
    await mappings.save(deleting)
    return deleting.configuration()


OPERATIONS: dict[str, Callable[[Mappings, dict[str, Any], RequestContext], Awaitable[Any]]] = {
    "CreateEventSourceMapping": create,
    "GetEventSourceMapping": get,
    "ListEventSourceMappings": listing,
    "UpdateEventSourceMapping": update,
    "DeleteEventSourceMapping": delete,
}


class WithMappings:
    """The functions service's operations plus the mappings' (bound to their owner)."""

    def __init__(self, api: Api, mappings: Mappings) -> None:
        self._api = api
        self._mappings = mappings

    def operation(self, name: str) -> Handler | None:
        handler = OPERATIONS.get(name)
        if handler is None:
            return self._api.operation(name)
        mappings = self._mappings

        def bound(params: dict[str, Any], ctx: RequestContext) -> Awaitable[Any]:
            return handler(mappings, params, ctx)

        return bound
