"""IoT ports: the broker and the device gateway's listener, the device TLS material, the iot-data plane,
the explain view, the rules dry run, Device Shadow and edge mode (offered by the iot service)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class MqttPeer:
    """Who is at the other end of a device connection, as the listener authenticated it.

    `transport`: "tcp" (the opt-in plain port), "mtls" (8883, or 443 with ALPN x-amzn-mqtt-ca),
    "wss" (MQTT over WebSocket, SigV4-signed), "https" (HTTPS publish). `certificate_der` is the
    client certificate the TLS handshake verified; `access_key`/`account` the SigV4 signer's; the
    broker turns these into a principal, an account and a region (`server_name`, the SNI, may name
    the region: `<prefix>-ats.iot.<region>.localhost`)."""

    transport: str
    remote_address: str  # "ip:port"
    certificate_der: bytes | None = None
    access_key: str | None = None
    account: str | None = None
    region: str | None = None
    server_name: str | None = None
    alpn: str | None = None
    local_address: str | None = None  # "ip:port" the client connected to (GetConnection's target)


class MqttOutlet(Protocol):
    """One client connection as the broker sees it (implemented by the MQTT listener)."""

    @property
    def protocol_level(self) -> int:
        """4 (3.1.1; also used for 3.1) or 5."""
        ...

    def write(self, packet: Any) -> None:
        """Encodes a packet (`protocol.mqtt.packets`) for the connection's version and queues it;
        never blocks (see `buffered`)."""
        ...

    @property
    def buffered(self) -> int:
        """Bytes written but not yet sent: the broker stops feeding a slow client past a bound."""
        ...

    def drained(self) -> Awaitable[None] | None:
        """None when the client is keeping up; else an awaitable that finishes once its unsent bytes
        are back under the transport's low mark (or the connection ends)."""
        ...

    def close(self, reason_code: int = 0, reason: str | None = None) -> None:
        """The broker ends the connection (session taken over, certificate revoked, policy): an MQTT 5
        client is sent DISCONNECT with the code first; `MqttSession.ended` follows."""
        ...


class MqttSession(Protocol):
    """A connected client's side of the broker, driven by its listener connection."""

    @property
    def keep_alive(self) -> int:
        """The keep-alive the connection is held to (seconds; 0 = none): the listener closes it
        after 1.5 times this without a packet."""
        ...

    def receive(self, packet: Any) -> Awaitable[None] | None:
        """Every packet after CONNECT, in order. Answers (PUBACK, SUBACK...) go out through the
        outlet; an awaitable is returned when the packet needs I/O (a QoS 1 PUBLISH is acknowledged
        once stored): the listener awaits it before reading the next packet."""
        ...

    async def ended(self, reason_code: int, client_initiated: bool) -> None:
        """The connection is gone (DISCONNECT, a closed socket, keep-alive expiry, a protocol error,
        `MqttOutlet.close`): publish the will as its rules say, keep or drop the session."""
        ...


class MqttBroker(Protocol):
    """The broker's door for listeners."""

    async def connect(self, packet: Any, peer: MqttPeer, outlet: MqttOutlet) -> MqttSession | None:
        """Answers a CONNECT through the outlet (CONNACK, then what a resumed session has queued).
        None when the connection is refused: the listener closes it once the CONNACK, if any, is
        written (AWS mode answers a 3.1.1 client it does not authorize with none)."""
        ...


@dataclass(frozen=True, slots=True)
class DeviceTlsMaterial:
    """What the device gateway's TLS needs, from the iot service: its server certificate (chained to
    the local IoT root CA, valid for the endpoint names DescribeEndpoint gives) and the client
    certificate trust anchors (the root, registered CA certificates, certificates registered
    without a CA). `generation` changes whenever any of them does: the listener then builds new
    SSL contexts for new connections."""

    generation: int
    server_cert_pem: bytes  # the server certificate followed by its chain
    server_key_pem: bytes
    client_anchors_pem: bytes


class DeviceTrust(Protocol):
    def material(self) -> DeviceTlsMaterial: ...

    def root_ca_pem(self) -> bytes:
        """The local IoT root CA certificate (PEM): what clients add to their trust (the admin
        route `/_headwater/iot/root-ca` serves it)."""
        ...

    def ca_chain_pem(self) -> bytes:
        """The issuing CA that signs device and server certificates, then the root (PEM): what
        verifies a device certificate offline (`/_headwater/iot/ca-chain`)."""
        ...


class IotExplain(Protocol):
    """The IoT policy engine's explain view, for the admin route `/_headwater/iot/explain`."""

    def explain(
        self,
        account: str,
        region: str,
        principal: str | None,
        client_id: str | None,
        action: str,
        resource: str,
    ) -> dict[str, Any]:
        """Which policy and statement allowed or denied the request, and why (`summary`: the same as
        text); raises AwsError for bad input (an unknown certificate, an invalid principal or action)."""
        ...


class DataPlaneError(Exception):
    """An iot-data request the broker refuses: AWS's error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class RetainedMessage:
    topic: str
    payload: bytes
    qos: int
    last_modified_ms: int
    user_properties: bytes | None = None  # as iot-data returns them (JSON, base64 on the wire)


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """GetConnection's answer: a connected client, an offline persistent session, or a client that
    left in the last 30 minutes (`disconnected_since_ms` and `disconnect_reason` then)."""

    client_id: str
    connected: bool
    clean_session: bool
    session_expiry: int  # seconds a session outlives its connection (0: a clean session)
    keep_alive: int | None = None
    connected_since_ms: int | None = None
    disconnected_since_ms: int | None = None
    disconnect_reason: str | None = None
    thing_name: str | None = None
    source: str | None = None  # "ip:port" of the client, while connected
    target: str | None = None  # "ip:port" it connected to, while connected


class IotDataPlane(Protocol):
    """What the iot-data API (HTTPS publish, retained messages, connections) asks of the broker."""

    async def publish(
        self,
        account: str,
        region: str,
        topic: str,
        payload: bytes,
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Any = None,  # protocol.mqtt.packets.Properties (MQTT 5 headers) or None
        peer: MqttPeer | None = None,  # None: an HTTPS call on the main API port
    ) -> None:
        """Publishes as a client would (policy, limits, retained, rules); raises DataPlaneError."""
        ...

    def retained(self, account: str, region: str, topic: str) -> RetainedMessage | None: ...

    def list_retained(
        self, account: str, region: str, after: str | None, limit: int
    ) -> tuple[list[RetainedMessage], str | None]:
        """Retained messages in topic order after `after`, and the next page's marker."""
        ...

    async def delete_connection(
        self, account: str, region: str, client_id: str, clean_session: bool, prevent_will: bool
    ) -> None:
        """Disconnects a client (raises DataPlaneError ResourceNotFoundException when none)."""
        ...

    def connection(self, account: str, region: str, client_id: str) -> ConnectionInfo:
        """GetConnection; DataPlaneError ResourceNotFoundException for a client it knows nothing of."""
        ...

    def subscriptions(
        self, account: str, region: str, client_id: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, int]], str | None]:
        """(topic filter, QoS) of a session (connected, or offline and persistent) in filter order
        after `after`, and the next page's marker; DataPlaneError ResourceNotFoundException."""
        ...

    async def send_direct(
        self,
        account: str,
        region: str,
        client_id: str,
        topic: str,
        payload: bytes,
        *,
        properties: Any = None,
        confirm: bool = False,
        timeout: float = 5.0,
    ) -> None:
        """SendDirectMessage: one connected client gets the message without subscribing (QoS 0, or
        QoS 1 and its PUBACK awaited when `confirm`: GatewayTimeoutException after `timeout`)."""
        ...

    def authorize(self, peer: MqttPeer, action: str, resource: str) -> tuple[str, str]:
        """The (account, region) of a device-certificate caller of the gateway's HTTPS port whose
        policies allow `action` (e.g. "iot:UpdateThingShadow") on `resource` (the ARN's tail, e.g.
        "thing/bulb" or "thing/bulb/settings"); DataPlaneError 401 (no active certificate) or 403
        (the policies do not allow it) otherwise."""
        ...


class IotRulesDebugger(Protocol):
    """The rules engine's dry run (the iot service offers it, through the composition root, to the
    admin route `POST /_headwater/iot/rules/<name>/dry-run`)."""

    def dry_run(
        self,
        account: str | None,
        region: str | None,
        rule: str,
        topic: str,
        payload: bytes,
        client_id: str | None,
    ) -> dict[str, Any] | None:
        """What the rule would do with this message, nothing delivered: whether it matches, the
        SELECT result and each action's rendered request; None when there is no such rule. A None
        account or region is the configured default."""
        ...


class ShadowError(Exception):
    """A shadow request refused: the HTTP-style code of AWS's error document (400, 404, 409, 413,
    415, 429, 500) and its message ("Version conflict", "No shadow exists with name: 'x'"...)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ShadowStore(Protocol):
    """Classic (`name` None) and named shadows of a thing, the one store MQTT requests and the REST
    API share. Each call answers AWS's response document (JSON bytes) or raises ShadowError; an
    accepted update or delete is durable before it returns and has published what AWS publishes
    on the shadow's MQTT topics (`/update/accepted`, `/update/delta`, `/update/documents`,
    `/delete/accepted`)."""

    async def read(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """The shadow document with `state.delta` (GetThingShadow), answered once any change to the
        shadow still being stored is durable."""
        ...

    def get(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """The same document at once (a change still being stored included): for callers that cannot
        wait, such as the rules engine's `get_thing_shadow`."""
        ...

    async def update(self, account: str, region: str, thing: str, name: str | None, payload: bytes) -> bytes:
        """Applies a request state document; the `/update/accepted` document."""
        ...

    async def delete(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """Deletes the shadow; `{"version", "timestamp"}` (its version carries on if it is
        re-created within 48 hours)."""
        ...

    def list_named(
        self, account: str, region: str, thing: str, after: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        """The thing's named shadows in name order after `after`, and the last name when more follow."""
        ...

    def history(self, account: str, region: str, thing: str, name: str | None) -> list[dict[str, Any]]:
        """Headwater's shadow history (`--iot-shadow-history`): the accepted changes kept, oldest first."""
        ...


class EdgeStatus(Protocol):
    """Offered by the iot service in edge mode (`serve --edge`): the store-and-forward bridge's
    state, for the health document and `GET /_headwater/edge`."""

    def status(self) -> dict[str, Any]: ...
