"""MQTT over WebSocket (`wss://<endpoint>/mqtt`, subprotocol `mqtt`), as AWS IoT serves it.

The upgrade request is presigned with SigV4 in its query string for service `iotdevicegateway`;
the session token (`X-Amz-Security-Token`) is appended after signing, so it is left out of the
verification and handed to the key lookup instead (as awsiotsdk and AWS do it). `--auth strict`
verifies the signature as the HTTP listener does (the keys STS issued, then `--credentials`); in
open mode only the access key counts, choosing the account. Relaxed mode also takes an unsigned
upgrade (the default account). After the handshake every binary message carries MQTT bytes, in
any split: the MQTT connection reads them as a stream.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable
from urllib.parse import parse_qsl

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from headwater.listeners.mqtt.connection import MqttConnection
from headwater.listeners.mqtt.http_head import Head
from headwater.listeners.mqtt.parts import Parts
from headwater.listeners.mqtt.stream import Stream
from headwater.protocol.auth import sigv4
from headwater.protocol.errors import AwsError
from headwater.services.ports import MqttPeer

log = logging.getLogger("headwater.listeners.mqtt")

TOKEN = "X-Amz-Security-Token"
SUBPROTOCOL = "mqtt"


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def authenticate(parts: Parts, head: Head, peer: MqttPeer) -> MqttPeer:
    """The connection's peer with the signer's key, account and region; Refused when it may not connect."""
    pairs = parse_qsl(head.query, keep_blank_values=True)
    token = next((value for key, value in pairs if key == TOKEN), None)
    query = {key: value for key, value in pairs}
    credential = sigv4.credential_of({}, query)
    if credential is None:
        if parts.config.iot_mode == "relaxed":
            return _with(peer, parts.config.account_id, parts.config.region, None)
        raise Refused(403, "ForbiddenException", "Missing Authentication Token")
    if parts.config.auth == "strict":
        signed = "&".join(p for p in head.query.split("&") if p.split("=", 1)[0] != TOKEN)
        secrets = parts.principals.sigv4_secrets(token, parts.clock.now(), query=False)
        try:
            sigv4.verify("GET", head.path, signed, head.headers, b"", secrets, parts.clock.now())
        except AwsError as exc:
            raise Refused(403, exc.code, exc.message) from None
    account = parts.principals.account(credential.access_key)
    return _with(peer, account, credential.region, credential.access_key)


def _with(peer: MqttPeer, account: str, region: str, access_key: str | None) -> MqttPeer:
    return MqttPeer(
        "wss", peer.remote_address, access_key=access_key, account=account, region=region,
        server_name=peer.server_name, alpn=peer.alpn, local_address=peer.local_address,
    )  # fmt: skip


class WebSocketMqtt:
    """A `Handler` of the client's stream and the `Wire` of its MQTT connection."""

    def __init__(self, parts: Parts, stream: Stream, peer: MqttPeer, head: Head, data: bytes) -> None:
        self.parts = parts
        self.stream = stream
        self.peer = peer
        self.head = head
        self.ws = WSConnection(ConnectionType.SERVER)
        self.mqtt: MqttConnection | None = None
        self.feed(data)

    # --- Handler ------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        try:
            self.ws.receive_data(data)
            for event in self.ws.events():
                self._event(event)
        except (RemoteProtocolError, LocalProtocolError) as exc:
            log.debug("WebSocket error from %s: %s", self.peer.remote_address, exc)
            self.stream.close()

    def lost(self) -> None:
        if self.mqtt is not None:
            self.mqtt.lost()

    def _event(self, event: object) -> None:
        if isinstance(event, Request):
            self._upgrade(event)
        elif isinstance(event, BytesMessage):
            if self.mqtt is not None:
                self.mqtt.feed(bytes(event.data))
        elif isinstance(event, TextMessage):  # MQTT is binary only (MQTT 5 section 6)
            self._send(CloseConnection(1003, "MQTT uses binary messages"))
            self.stream.close()
        elif isinstance(event, Ping):
            self._send(event.response())
        elif isinstance(event, CloseConnection):
            if self.mqtt is not None:
                self.mqtt.client_closed()
            if self.ws.state is ConnectionState.REMOTE_CLOSING:
                self._send(event.response())
            self.stream.close()

    def _upgrade(self, request: Request) -> None:
        if SUBPROTOCOL not in request.subprotocols:
            self._reject(400, "InvalidRequestException", "the WebSocket subprotocol must be mqtt")
            return
        try:
            peer = authenticate(self.parts, self.head, self.peer)
        except Refused as exc:
            self._reject(exc.status, exc.code, exc.message)
            return
        self._send(AcceptConnection(subprotocol=SUBPROTOCOL))
        self.mqtt = MqttConnection(
            self.parts.broker, peer, self, self.parts.codec(self.parts.max_packet_size)
        )

    def _reject(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"message": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"x-amzn-errortype", code.encode())]
        headers.append((b"content-length", str(len(body)).encode()))
        self._send(RejectConnection(status_code=status, headers=headers, has_body=True))
        self._send(RejectData(data=body))
        self.stream.close()

    def _send(self, event: object) -> None:
        with contextlib.suppress(LocalProtocolError):  # the connection is already closing
            self.stream.write(self.ws.send(event))  # type: ignore[arg-type]

    # --- Wire (for the MQTT connection) --------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.ws.state is ConnectionState.OPEN:
            self._send(BytesMessage(data=data))

    def close(self) -> None:
        if self.ws.state is ConnectionState.OPEN:
            self._send(CloseConnection(1000))
        self.stream.close()

    def buffered(self) -> int:
        return self.stream.buffered()

    def drained(self) -> Awaitable[None] | None:
        return self.stream.drained()

    def pause_reading(self) -> None:
        self.stream.pause_reading()

    def resume_reading(self) -> None:
        self.stream.resume_reading()
