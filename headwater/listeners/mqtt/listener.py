"""The device gateway listener: its ports, their preflight, start and stop, and the banner's lines.

A port left at its default (8883, 443, 8443) is served when it can be bound and skipped with a
warning when it cannot (443 needs privileges; another server may hold 8883): a default should never
stop a server whose HTTP API works. A port given explicitly (`--iot-port 8884`) must bind, and
preflight refuses a busy one before any storage is opened, as the HTTP listener does. 0 turns a
port off. The TLS ports need the iot service's `DeviceTrust`; the plain port (opt-in) only the
broker.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from headwater.listeners.base import ListenerError
from headwater.listeners.http.server import check_port_free
from headwater.listeners.mqtt.dispatch import HANDSHAKE_TIMEOUT_S, Dispatch, PortKind
from headwater.listeners.mqtt.parts import Parts
from headwater.listeners.mqtt.stream import Stream
from headwater.listeners.mqtt.tls import DeviceTls
from headwater.services.ports import DeviceTrust

log = logging.getLogger("headwater.listeners.mqtt")

ROOT_CA_FILE = "iot-root-ca.pem"
DEFAULTS: dict[PortKind, int] = {"mtls": 8883, "alpn": 443, "https": 8443}
FLAGS: dict[PortKind, str] = {"mtls": "--iot-port", "alpn": "--iot-alpn-port", "https": "--iot-https-port"}
SCHEMES: dict[PortKind, str] = {
    "plain": "mqtt://{}:{} (MQTT)",
    "mtls": "mqtts://{}:{} (IoT MQTT, mutual TLS)",
    "alpn": "https://{}:{} (IoT ALPN: MQTT, HTTPS publish, WebSocket /mqtt)",
    "https": "https://{}:{} (IoT HTTPS publish, X.509)",
}


@dataclass(slots=True)
class _Port:
    kind: PortKind
    number: int
    explicit: bool
    server: asyncio.Server | None = None


class MqttListener:
    name = "mqtt"

    def __init__(self, parts: Parts, trust: DeviceTrust | None) -> None:
        self.parts = parts
        config = parts.config
        self._trust = trust
        self.tls = DeviceTls(trust) if trust is not None else None
        self.root_ca: Path | None = None
        self.dispatch = Dispatch(parts, self.tls)
        self._connections: set[Stream] = set()
        wanted: list[tuple[PortKind, int | None]] = [
            ("mtls", config.iot_port),
            ("alpn", config.iot_alpn_port),
            ("https", config.iot_https_port),
        ]
        self.ports: list[_Port] = []
        if config.mqtt_port:
            self.ports.append(_Port("plain", config.mqtt_port, True))
        for kind, number in wanted:
            if trust is None or number == 0:
                continue
            self.ports.append(_Port(kind, DEFAULTS[kind] if number is None else number, number is not None))

    def preflight(self) -> None:
        """Explicit ports must be free; the defaults are tried at start (and warned about there,
        once nothing else can stop the server)."""
        host = self.parts.config.host
        for port in self.ports:
            if port.explicit:
                check_port_free(host, port.number)

    async def start(self) -> None:
        self.root_ca = self._write_root_ca()
        loop = asyncio.get_running_loop()
        host = self.parts.config.host
        for port in list(self.ports):
            kind = port.kind

            def stream(kind: PortKind = kind) -> Stream:
                return Stream(self._connections, lambda made: self.dispatch.accepted(made, kind))

            context = self.tls.context(kind) if self.tls is not None and kind != "plain" else None
            try:
                port.server = await loop.create_server(
                    stream, host, port.number, backlog=1024, ssl=context,
                    ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S if context is not None else None,
                )  # fmt: skip
            except OSError as exc:
                if port.explicit:
                    await self.stop()
                    raise ListenerError(f"cannot listen on {host}:{port.number}: {exc.strerror}") from None
                self._skip(port, exc.strerror or str(exc))

    async def stop(self) -> None:
        for port in self.ports:
            if port.server is not None:
                port.server.close()
        for connection in list(self._connections):
            connection.abort()
        for port in self.ports:
            if port.server is not None:
                await port.server.wait_closed()
                port.server = None

    def endpoints(self) -> list[str]:
        host = self.parts.config.host
        lines = [SCHEMES[port.kind].format(host, port.number) for port in self.ports]
        if any(port.kind != "plain" for port in self.ports):
            config = self.parts.config
            scheme = "https" if config.tls else "http"
            route = f"{scheme}://{host}:{config.port}/_headwater/iot/root-ca"
            lines.append(
                f"IoT root CA {self.root_ca}" if self.root_ca is not None else f"IoT root CA {route}"
            )
        return lines

    def _write_root_ca(self) -> Path | None:
        """The local IoT root CA, where devices and SDKs can read it (`ca_filepath`)."""
        if self._trust is None or not any(port.kind != "plain" for port in self.ports):
            return None
        if self.parts.config.durability == "memory":  # nothing on disk: the admin route serves it
            return None
        path = self.parts.config.data_dir / "tls" / ROOT_CA_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = self._trust.root_ca_pem()
            if not path.exists() or path.read_bytes() != pem:
                path.write_bytes(pem)
        except OSError as exc:
            log.warning("cannot write the IoT root CA to %s: %s", path, exc.strerror)
            return None
        return path.resolve()

    def _skip(self, port: _Port, why: str) -> None:
        flag = FLAGS.get(port.kind, "--mqtt-port")
        log.warning(
            "IoT port %d skipped: %s (choose another with %s, 0 turns it off)", port.number, why, flag
        )
        self.ports.remove(port)
