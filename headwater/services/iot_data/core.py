"""The iot-data service's state: none of its own. Messages, retained messages and connections are
the broker's (the iot service offers `IotDataPlane`); this holds the port and the rules the HTTP
API adds to it."""

from __future__ import annotations

from headwater.services.base import Host
from headwater.services.iot_data.errors import broker_missing
from headwater.services.ports import IotDataPlane

MAX_PAYLOAD = 128 * 1024  # AWS IoT's hard limit on a message's payload (MQTT or HTTPS)


class IotDataCore:
    def __init__(self, host: Host) -> None:
        self.config = host.config
        self._plane = host.ports.find(IotDataPlane)
        # AWS-exact unless the device gateway's relaxed mode (`--iot-mode relaxed`) lifts the limits
        self.exact = getattr(host.config, "iot_mode", "exact") != "relaxed"

    @property
    def plane(self) -> IotDataPlane:
        if self._plane is None:
            raise broker_missing()
        return self._plane

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None: ...  # the broker resets what it holds
