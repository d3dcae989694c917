"""STS in the service registry; it offers the listeners the `Identities` of the keys it issued, and
services that act as a role `RoleSessions`."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.ports import Identities, RoleSessions
from headwater.services.sts.api import sts_api
from headwater.services.sts.service import StsCore


def build(host: Host) -> Service:
    core = StsCore(host.config, host.engine.meta, host.clock)
    return Service(
        "sts", "sts", core, sts_api(core), provides={Identities: core.sessions, RoleSessions: core.sessions}
    )


ENTRY = ServiceEntry("sts", build)
