"""The iot-data service's state: none of its own. Messages, retained messages and connections are
the broker's (the iot service offers `IotDataPlane`), and so are AWS IoT's limits (the 128 KB
payload, topic length and depth, reserved topics), which it applies to every publish, MQTT or
HTTPS, in the mode `--iot-mode` sets."""

from __future__ import annotations

from headwater.services.base import Host
from headwater.services.iot_data.errors import broker_missing
from headwater.services.ports import IotDataPlane, ShadowStore


class IotDataCore:
    def __init__(self, host: Host) -> None:
        self.config = host.config
        self.clock = host.clock
        self._plane = host.ports.find(IotDataPlane)
        self._shadows = host.ports.find(ShadowStore)

    @property
    def plane(self) -> IotDataPlane:
        if self._plane is None:
            raise broker_missing()
        return self._plane

    @property
    def shadows(self) -> ShadowStore:
        if self._shadows is None:
            raise broker_missing()
        return self._shadows

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None: ...  # the broker resets what it holds
