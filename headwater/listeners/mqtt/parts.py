"""What every device gateway connection may need, built once by the listener."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.config import Config
from headwater.listeners.http.principals import Principals
from headwater.listeners.mqtt.codec import CodecFactory
from headwater.runtime.clock import SystemClock
from headwater.services.ports import IotDataPlane, MqttBroker, ShadowStore

# the largest inbound MQTT packet: AWS's 128 KB payload plus room for the topic and properties (the
# broker answers oversized payloads with AWS's own codes); relaxed mode takes what tools send
AWS_MAX_PACKET = 160 * 1024
RELAXED_MAX_PACKET = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Parts:
    config: Config
    broker: MqttBroker
    plane: IotDataPlane | None
    principals: Principals
    clock: SystemClock
    codec: CodecFactory
    shadows: ShadowStore | None = None  # the shadow REST API a device certificate calls over HTTPS

    @property
    def max_packet_size(self) -> int:
        return RELAXED_MAX_PACKET if self.config.iot_mode == "relaxed" else AWS_MAX_PACKET

    def api_address(self) -> tuple[str, int]:
        """Where the HTTP listener answers on this machine (spliced HTTPS goes there)."""
        host = self.config.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return host, self.config.port
