"""IAM in the service registry; it offers the `Roles` port (execution roles for functions)."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.iam.api import iam_api
from headwater.services.iam.core import IamCore
from headwater.services.ports import Roles


def build(host: Host) -> Service:
    core = IamCore(host.config, host.engine.meta, host.clock)

    def inventory() -> dict[str, list[str]]:
        default = host.config.account_id
        names = [r.name if r.account == default else f"{r.name} ({r.account})" for r in core.roles.values()]
        return {"roles": names}

    return Service("iam", "iam", core, iam_api(core), provides={Roles: core}, inventory=inventory)


ENTRY = ServiceEntry("iam", build)
