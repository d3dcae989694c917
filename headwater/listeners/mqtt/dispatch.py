"""What an accepted connection becomes, by port and, on 443, by the ALPN protocol negotiated.

| port         | TLS                          | serves                                                  |
|--------------|------------------------------|---------------------------------------------------------|
| plain (1883) | none                         | MQTT, anonymous (relaxed mode)                          |
| mtls (8883)  | client certificate required  | MQTT as the certificate                                 |
| alpn (443)   | client certificate optional  | x-amzn-mqtt-ca: MQTT (certificate required);            |
|              |                              | x-amzn-http-ca: HTTPS publish as the certificate;       |
|              |                              | http/1.1 or none: WebSocket /mqtt, else the HTTP API    |
| https (8443) | client certificate required  | HTTPS publish as the certificate, else the HTTP API     |

The TLS ports' servers complete the handshake (within `HANDSHAKE_TIMEOUT_S`, on the contexts of
the trust material's current generation: `tls.py`) before a connection reaches `accepted`.
"""

from __future__ import annotations

import logging
from typing import Literal

from headwater.listeners.mqtt.connection import MqttConnection
from headwater.listeners.mqtt.http_front import HttpFront
from headwater.listeners.mqtt.parts import Parts
from headwater.listeners.mqtt.stream import Stream
from headwater.listeners.mqtt.tls import HTTP_ALPN, MQTT_ALPN, DeviceTls, peer_certificate
from headwater.services.ports import MqttPeer

log = logging.getLogger("headwater.listeners.mqtt")

PortKind = Literal["plain", "mtls", "alpn", "https"]
HANDSHAKE_TIMEOUT_S = 10.0


class Dispatch:
    def __init__(self, parts: Parts, tls: DeviceTls | None) -> None:
        self.parts = parts
        self.tls = tls

    def accepted(self, stream: Stream, kind: PortKind) -> None:
        """Called once the connection is ready: after the TLS handshake on the TLS ports."""
        address, local = stream.remote_address(), stream.local_address()
        if kind == "plain":
            self._mqtt(stream, MqttPeer("tcp", address, local_address=local))
            return
        assert self.tls is not None and stream.transport is not None
        ssl_object = stream.transport.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        certificate = peer_certificate(ssl_object)
        server_name = self.tls.server_name(ssl_object)
        if kind == "mtls" or alpn == MQTT_ALPN:
            if certificate is None:  # 443 leaves the certificate optional; MQTT needs one
                stream.close()
                return
            self._mqtt(
                stream,
                MqttPeer(
                    "mtls", address, certificate, server_name=server_name, alpn=alpn, local_address=local
                ),
            )
            return
        x509_http = kind == "https" or alpn == HTTP_ALPN
        if x509_http and certificate is None:
            stream.close()
            return
        publisher = (
            MqttPeer("https", address, certificate, server_name=server_name, alpn=alpn) if x509_http else None
        )
        websocket = (
            None
            if x509_http
            else MqttPeer("wss", address, server_name=server_name, alpn=alpn, local_address=local)
        )
        stream.attach(HttpFront(self.parts, stream, publisher=publisher, websocket_peer=websocket))

    def _mqtt(self, stream: Stream, peer: MqttPeer) -> None:
        parts = self.parts
        stream.attach(MqttConnection(parts.broker, peer, stream, parts.codec(parts.max_packet_size)))
