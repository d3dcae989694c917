"""Functions (the AWS Lambda API) in the service registry: it offers the composition root the
`Runtimes` seam that attaches the Runtime API listener its workers call."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages, local_name
from headwater.services.functions.api import functions_api
from headwater.services.functions.caller import SyncCaller
from headwater.services.functions.event_source import EventInvoker
from headwater.services.functions.fast_invoke import fast_invoke
from headwater.services.functions.mappings.api import WithMappings
from headwater.services.functions.mappings.manager import Mappings
from headwater.services.functions.service import FunctionsCore
from headwater.services.functions.url_invoke import UrlInvoker
from headwater.services.ports import FunctionCaller, FunctionInvoker, FunctionUrls, Runtimes


def build(host: Host) -> Service:
    core = FunctionsCore(
        host.config, host.engine.meta, host.clock, host.ports, host.engine.blobs, host.engine.queues
    )
    mappings = Mappings(core)  # event-source mappings: started after the core, closed before it

    def inventory() -> dict[str, list[str]]:
        config = host.config
        return {
            "functions": sorted(record.name for record in core.functions.values()),
            # a mapping by UUID, with the function it invokes and its state
            "event-source-mappings": sorted(
                local_name(
                    config,
                    m.account,
                    m.region,
                    f"{m.uuid} -> {m.function_arn.rsplit(':', 1)[-1]} ({m.state})",
                )
                for m in mappings.records.values()
            ),
        }

    provides: dict[type, object] = {
        Runtimes: core,
        FunctionInvoker: EventInvoker(core),
        FunctionCaller: SyncCaller(core),
        FunctionUrls: UrlInvoker(core),
    }
    return Service(
        "functions",
        "lambda",
        Stages(core, mappings),
        WithMappings(functions_api(core), mappings),
        provides=provides,
        inventory=inventory,
        rest_fast_paths={"Invoke": fast_invoke(core)},
    )


ENTRY = ServiceEntry("functions", build)
