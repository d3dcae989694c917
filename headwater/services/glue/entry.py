"""The Glue Data Catalog in the service registry; it offers the `TableCatalog` other services read."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.glue.api import glue_api
from headwater.services.glue.catalog import GlueTableCatalog
from headwater.services.glue.core import GlueCore
from headwater.services.ports import TableCatalog


def build(host: Host) -> Service:
    core = GlueCore(host.engine.meta, host.engine.ordered, host.clock)

    def inventory() -> dict[str, list[str]]:
        return {
            "glue databases": [doc["Name"] for doc in core.databases.values()],
            "glue tables": [f"{doc['DatabaseName']}.{doc['Name']}" for doc in core.tables.values()],
        }

    return Service(
        "glue",
        "glue",
        core,
        glue_api(core),
        provides={TableCatalog: GlueTableCatalog(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("glue", build)
