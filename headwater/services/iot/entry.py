"""AWS IoT Core in the service registry: the `iot` API, and the broker the MQTT listener serves."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.iot.api import iot_api
from headwater.services.iot.broker import DataPlane
from headwater.services.iot.core import IotCore
from headwater.services.ports import (
    DeviceTrust,
    EdgeStatus,
    IotDataPlane,
    IotExplain,
    IotRulesDebugger,
    MqttBroker,
    ShadowStore,
)


def build(host: Host) -> Service:
    core = IotCore(host)
    provides: dict[type, object] = {
        DeviceTrust: core.security,
        MqttBroker: core.broker,
        IotDataPlane: DataPlane(core.broker, core.things),
        IotExplain: core.authz,
        IotRulesDebugger: core.rules,
        ShadowStore: core.shadows,
    }
    if core.edge is not None:
        provides[EdgeStatus] = core.edge

    def inventory() -> dict[str, list[str]]:
        return {**core.security.inventory(), **core.rules.inventory()}

    return Service("iot", "iot", core, iot_api(core), provides=provides, inventory=inventory)


ENTRY = ServiceEntry("iot", build)
