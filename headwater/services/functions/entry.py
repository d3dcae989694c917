"""Functions (the AWS Lambda API) in the service registry: it offers the composition root the
`Runtimes` seam that attaches the Runtime API listener its workers call."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.functions.api import functions_api
from headwater.services.functions.fast_invoke import fast_invoke
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import Runtimes


def build(host: Host) -> Service:
    core = FunctionsCore(host.config, host.engine.meta, host.clock, host.ports)

    def inventory() -> dict[str, list[str]]:
        return {"functions": sorted(record.name for record in core.functions.values())}

    return Service(
        "functions",
        "lambda",
        core,
        functions_api(core),
        provides={Runtimes: core},
        inventory=inventory,
        rest_fast_paths={"Invoke": fast_invoke(core)},
    )


ENTRY = ServiceEntry("functions", build)
