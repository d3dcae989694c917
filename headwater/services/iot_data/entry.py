"""iot-data (AWS IoT's data plane API) in the service registry: after `iot`, whose broker offers
the `IotDataPlane` port it serves through."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.iot_data.api import iot_data_api
from headwater.services.iot_data.core import IotDataCore


def build(host: Host) -> Service:
    core = IotDataCore(host)
    return Service("iot-data", "iot-data", core, iot_data_api(core))


ENTRY = ServiceEntry("iot-data", build, requires=("iot",))
