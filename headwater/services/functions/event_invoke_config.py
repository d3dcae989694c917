"""A function's asynchronous invocation settings (EventInvokeConfig) and their five operations:
Put (replaces), Update (merges), Get, Delete, List. One config per qualifier ($LATEST, the same as
the unqualified function; a version; an alias), stored in the metadata store by scoped key
(qualifiers.py); the event queue (event_queue.py) reads the one of the qualifier an event was
invoked with, at each attempt."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.aliases import Aliases
from headwater.services.functions.qualifiers import Target, scoped_key, target
from headwater.services.functions.record import LATEST, FunctionRecord
from headwater.services.functions.version_store import Versions

CONFIGS = "functions.event-invoke"
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 21600
# the destinations Headwater delivers to: an SQS queue (QueueSink) or a function (its event queue)
_DESTINATION = re.compile(r"arn:aws[a-zA-Z-]*:(sqs|lambda):[a-z0-9-]+:\d{12}:.+")


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    function_arn: str
    last_modified: float
    retries: int = DEFAULT_RETRIES
    max_age_s: int = DEFAULT_MAX_AGE_S
    on_success: str | None = None
    on_failure: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> EventInvokeConfig:
        return cls(**json.loads(data))

    def shape(self) -> dict[str, Any]:
        destinations: dict[str, Any] = {}
        if self.on_success:
            destinations["OnSuccess"] = {"Destination": self.on_success}
        if self.on_failure:
            destinations["OnFailure"] = {"Destination": self.on_failure}
        return {
            "LastModified": self.last_modified,
            "FunctionArn": self.function_arn,
            "MaximumRetryAttempts": self.retries,
            "MaximumEventAgeInSeconds": self.max_age_s,
            "DestinationConfig": destinations,
        }


class _Core(Protocol):
    meta: MetaStore
    clock: SystemClock
    versions: Versions
    aliases: Aliases

    def get(self, account: str, region: str, name: str) -> FunctionRecord: ...


def config_of(
    meta: MetaStore, record: FunctionRecord, qualifier: str | None = None
) -> EventInvokeConfig | None:
    """The config of `record`'s function for `qualifier` (None or $LATEST: the unqualified one)."""
    raw = meta.get(CONFIGS, scoped_key(record.key, None if qualifier == LATEST else qualifier))
    return None if raw is None else EventInvokeConfig.from_bytes(raw)


def _target(core: _Core, params: dict[str, Any], ctx: RequestContext) -> Target:
    found = target(core, params, ctx)
    return Target(found.latest, None) if found.qualifier == LATEST else found


def _missing(owner: Target) -> errors.AwsError:
    return errors.AwsError(
        "ResourceNotFoundException",
        f"The function {_shown_arn(owner)} doesn't have an EventInvokeConfig",
        404,
        details=errors.USER,
    )


def _shown_arn(owner: Target) -> str:
    return f"{owner.latest.arn}:{owner.qualifier or LATEST}"


def _destination(params: dict[str, Any], which: str, current: str | None) -> str | None:
    config = params.get("DestinationConfig")
    if config is None or which not in config:
        return current
    arn = (config[which] or {}).get("Destination")
    if not arn:
        return None
    if not _DESTINATION.fullmatch(arn):
        raise errors.invalid(f"The destination ARN {arn} is invalid.")
    return str(arn)


async def _store(
    core: _Core, owner: Target, params: dict[str, Any], base: EventInvokeConfig
) -> dict[str, Any]:
    config = EventInvokeConfig(
        function_arn=_shown_arn(owner),
        last_modified=core.clock.now(),
        retries=params.get("MaximumRetryAttempts", base.retries),
        max_age_s=params.get("MaximumEventAgeInSeconds", base.max_age_s),
        on_success=_destination(params, "OnSuccess", base.on_success),
        on_failure=_destination(params, "OnFailure", base.on_failure),
    )
    await core.meta.put(CONFIGS, owner.key, config.to_bytes())
    return config.shape()


async def put_config(core: _Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    return await _store(core, owner, params, EventInvokeConfig("", 0.0))


async def update_config(core: _Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    current = config_of(core.meta, owner.latest, owner.qualifier)
    if current is None:
        raise _missing(owner)
    return await _store(core, owner, params, current)


async def get_config(core: _Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    current = config_of(core.meta, owner.latest, owner.qualifier)
    if current is None:
        raise _missing(owner)
    return current.shape()


async def delete_config(core: _Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    owner = _target(core, params, ctx)
    if config_of(core.meta, owner.latest, owner.qualifier) is None:
        raise _missing(owner)
    await core.meta.delete(CONFIGS, owner.key)
    return {}


async def list_configs(core: _Core, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    # every qualifier's config (the operation takes no Qualifier), $LATEST first
    latest = _target(core, {"FunctionName": params["FunctionName"]}, ctx).latest
    prefix = latest.key + ":"
    found = [
        EventInvokeConfig.from_bytes(raw)
        for key, raw in core.meta.scan(CONFIGS)
        if key == latest.key or key.startswith(prefix)
    ]
    found.sort(key=lambda c: (not c.function_arn.endswith(":" + LATEST), c.function_arn))
    return {"FunctionEventInvokeConfigs": [config.shape() for config in found]}


OPERATIONS = {
    "PutFunctionEventInvokeConfig": put_config,
    "UpdateFunctionEventInvokeConfig": update_config,
    "GetFunctionEventInvokeConfig": get_config,
    "DeleteFunctionEventInvokeConfig": delete_config,
    "ListFunctionEventInvokeConfigs": list_configs,
}
