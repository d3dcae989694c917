"""The HTTP side of the device gateway's TLS ports: reads a request head, then decides who serves it.

- `GET /mqtt` with a WebSocket upgrade (port 443, ALPN http/1.1 or none): MQTT over WebSocket.
- `POST /topics/<topic>` on 8443 or ALPN x-amzn-http-ca, whose TLS verified a client
  certificate: HTTPS publish as that certificate (`http_publish`).
- `GET|POST|DELETE /things/<thing>/shadow[?name=<shadow>]` there: the Device Shadow REST API as that
  certificate, its policies checked (`http_shadow`).
- anything else: spliced to the HTTP listener, from this request on (`splice`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from headwater.listeners.mqtt.http_head import Head, parse_head, response
from headwater.listeners.mqtt.http_publish import publish_response
from headwater.listeners.mqtt.http_shadow import is_shadow_path, shadow_response
from headwater.listeners.mqtt.parts import Parts
from headwater.listeners.mqtt.splice import Splice
from headwater.listeners.mqtt.stream import Handler, Stream
from headwater.listeners.mqtt.websocket import WebSocketMqtt
from headwater.services.ports import MqttPeer

HEAD_TIMEOUT_S = 10.0
MAX_PUBLISH_BODY = 1024 * 1024  # beyond AWS's 128 KB: the data plane answers with AWS's own error


class HttpFront:
    """A `Handler` until the request head says who serves the connection."""

    def __init__(
        self,
        parts: Parts,
        stream: Stream,
        *,
        publisher: MqttPeer | None,  # the certificate's peer where X.509 HTTPS publish is served
        websocket_peer: MqttPeer | None,  # the connection's peer where MQTT over WebSocket is served
    ) -> None:
        self.parts = parts
        self.stream = stream
        self.publisher = publisher
        self.websocket_peer = websocket_peer
        self._buffer = b""
        self._busy = False
        # a request head must arrive in time (slow-loris); the WebSocket and the API have their own
        self._deadline: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            HEAD_TIMEOUT_S, self._too_slow
        )

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._route()

    def lost(self) -> None:
        self._buffer = b""
        self._disarm()

    def _too_slow(self) -> None:
        self._deadline = None
        if self.stream.handler is self and not self._busy:
            self.stream.close()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _route(self) -> None:
        try:
            head = parse_head(self._buffer)
        except ValueError:
            self._answer_and_close(400, b'{"message":"Bad Request"}')
            return
        if head is None:
            return
        upgrade = (head.header("upgrade") or "").lower() == "websocket"
        if self.websocket_peer is not None and head.path == "/mqtt" and upgrade:
            self._hand_over(WebSocketMqtt(self.parts, self.stream, self.websocket_peer, head, self._buffer))
            return
        if self.publisher is not None and head.method == "POST" and head.path.startswith("/topics/"):
            topic = unquote(head.path[len("/topics/") :])
            self._serve(head, lambda peer, body: publish_response(self.parts, peer, topic, head, body))
            return
        if self.publisher is not None and is_shadow_path(head.path) and self.parts.shadows is not None:
            self._serve(head, lambda peer, body: shadow_response(self.parts, peer, head, body))
            return
        host, port = self.parts.api_address()
        self._hand_over(Splice(self.stream, host, port, self.parts.config.tls, self._buffer))

    def _hand_over(self, handler: Handler) -> None:
        self._disarm()
        self._buffer = b""
        self.stream.attach(handler)

    def _serve(self, head: Head, answer: Callable[[MqttPeer, bytes], Awaitable[bytes]]) -> None:
        """Reads the request's body, then writes what `answer` makes of it."""
        if (head.header("transfer-encoding") or "").lower() not in ("", "identity"):
            self._answer_and_close(411, b'{"message":"Length Required"}')
            return
        try:
            length = int(head.header("content-length") or "0")
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_PUBLISH_BODY:
            self._answer_and_close(413, b'{"message":"Request entity too large"}')
            return
        if len(self._buffer) < head.size + length:
            return  # the body is still arriving
        body = self._buffer[head.size : head.size + length]
        self._buffer = self._buffer[head.size + length :]
        assert self.publisher is not None
        self._busy = True
        self.stream.pause_reading()
        task = asyncio.ensure_future(answer(self.publisher, body))
        task.add_done_callback(lambda done: self._published(done, head))

    def _published(self, task: asyncio.Future[bytes], head: Head) -> None:
        self._busy = False
        if self.stream.closed or task.cancelled():
            return
        self.stream.write(task.result())
        if (head.header("connection") or "").lower() == "close":
            self.stream.close()
            return
        self.stream.resume_reading()
        self._disarm()  # the next request on this connection gets its own time
        self._deadline = asyncio.get_running_loop().call_later(HEAD_TIMEOUT_S, self._too_slow)
        if self._buffer:
            self._route()

    def _answer_and_close(self, status: int, body: bytes) -> None:
        self.stream.write(response(status, body, close=True))
        self.stream.close()
        self._buffer = b""
