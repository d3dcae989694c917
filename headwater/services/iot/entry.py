"""AWS IoT Core in the service registry: the `iot` API, and the broker the MQTT listener serves."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.iot.api import iot_api
from headwater.services.iot.core import IotCore
from headwater.services.ports import DeviceTrust


def build(host: Host) -> Service:
    core = IotCore(host)
    return Service("iot", "iot", core, iot_api(core), provides={DeviceTrust: core.security})


ENTRY = ServiceEntry("iot", build)
