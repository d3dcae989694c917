"""CloudWatch Logs in the service registry; it offers the `LogSink` other services write through."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages, local_name
from headwater.services.logs.api import logs_api
from headwater.services.logs.core import LogsCore
from headwater.services.logs.events import Sink
from headwater.services.logs.retention import RetentionSweeper
from headwater.services.ports import LogSink


def build(host: Host) -> Service:
    core = LogsCore(host.config, host.engine.log, host.engine.meta, host.clock)

    def inventory() -> dict[str, list[str]]:
        groups = core.groups.values()
        return {"log groups": [local_name(host.config, g.account, g.region, g.name) for g in groups]}

    return Service(
        "logs",
        "logs",
        Stages(core, RetentionSweeper(core)),
        logs_api(core),
        provides={LogSink: Sink(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("logs", build)
