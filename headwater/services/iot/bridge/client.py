"""A small asyncio MQTT 5 client on the codec's client role (`MqttConnection(server=False)`): what
the edge bridge speaks to its upstream (another Headwater or AWS IoT Core).

Theory of operation
-------------------
`UpstreamClient.connect` opens TCP (or TLS, with a client certificate for mutual TLS), sends
CONNECT and waits for the CONNACK; then one reader task feeds the codec and dispatches: a PUBACK
resolves the future `publish` returned for its packet identifier, a SUBACK the future of
`subscribe`, a PUBLISH goes to `on_message` (a QoS 1 one is acknowledged only once the awaitable
`on_message` returns has completed: the upstream keeps it until the edge stored it). A keep-alive
task sends PINGREQ when we have been quiet for half the keep-alive and gives the connection up when
the upstream has been silent for one and a half. However the connection ends (the peer closed, a
protocol error, keep-alive, `close`), `closed` is set once and every pending future fails with
`ConnectionLost`, so the caller resends what was not acknowledged on its next connection.

MQTT 5, not 3.1.1: a refusal comes back in the PUBACK (AWS IoT's throttling, QUOTA_EXCEEDED, or an
unauthorized topic) where a 3.1.1 publisher is disconnected or, throttled, acknowledged while its
message is dropped. The session is persistent (clean start off, an hour's expiry, AWS's default) so
the upstream keeps the subscriptions and what they catch while the edge is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    Connack,
    Connect,
    Disconnect,
    MqttProtocolError,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Publish,
    Suback,
    Subscribe,
    SubscriptionOptions,
)

log = logging.getLogger("headwater.iot.edge")

# topic, payload, qos, retain -> an awaitable the QoS 1 PUBACK waits for (or None)
OnMessage = Callable[[str, bytes, int, bool], Awaitable[None] | None]
SESSION_EXPIRY_S = 3600


class ConnectionLost(Exception):
    """The upstream connection ended before the answer arrived."""


class UpstreamRefused(Exception):
    """The upstream answered CONNECT with a refusal (or not at all)."""


class UpstreamClient:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        codec: MqttConnection,
        keep_alive: int,
        on_message: OnMessage,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._codec = codec
        self._keep_alive = keep_alive
        self._on_message = on_message
        # packet id -> the PUBACK's reason code or the SUBACK's codes
        self._waiting: dict[int, asyncio.Future[list[int]]] = {}
        self._next_id = 0
        self._sent_at = self._heard_at = time.monotonic()
        self.closed = asyncio.Event()
        self.error: str | None = None
        self.disconnect_code: int | None = None  # the reason of the upstream's DISCONNECT, if it sent one
        self._tasks: list[asyncio.Task[None]] = []
        self.receive_maximum = 65_535  # the upstream's, from its CONNACK

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        client_id: str,
        *,
        tls: ssl.SSLContext | None,
        keep_alive: int,
        on_message: OnMessage,
        timeout: float = 10.0,
    ) -> UpstreamClient:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=tls, server_hostname=host if tls is not None else None
            )
            codec = MqttConnection(server=False)
            try:
                session = Properties(session_expiry_interval=SESSION_EXPIRY_S)
                connect = Connect(client_id, MQTT_5, False, keep_alive, properties=session)
                writer.write(codec.send(connect))
                packet: Packet | None = None
                while packet is None:
                    data = await reader.read(65_536)
                    if not data:
                        raise UpstreamRefused("the upstream closed the connection before its CONNACK")
                    codec.receive_data(data)
                    packet = codec.next_packet()
                if not isinstance(packet, Connack):
                    raise UpstreamRefused(f"expected CONNACK, got {type(packet).__name__}")
                if packet.reason_code >= 0x80:
                    why = packet.properties.reason_string or f"reason code 0x{packet.reason_code:02x}"
                    raise UpstreamRefused(f"the upstream refused the connection: {why}")
            except BaseException:
                writer.close()
                raise
        client = cls(reader, writer, codec, packet.properties.server_keep_alive or keep_alive, on_message)
        client.receive_maximum = packet.properties.receive_maximum or 65_535
        client._start()
        return client

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._read()))
        if self._keep_alive:
            self._tasks.append(loop.create_task(self._ping()))

    # --- what the bridge asks -------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, retain: bool) -> asyncio.Future[list[int]]:
        """Sends a QoS 1 PUBLISH; the future completes with [reason code] at its PUBACK
        (ConnectionLost if the connection ends first)."""
        packet_id, future = self._allocate()
        self._send(Publish(topic, payload, 1, retain, packet_id=packet_id))
        return future

    async def subscribe(self, filters: list[str]) -> list[int]:
        """Subscribes at QoS 1; the granted codes (0x80: refused)."""
        packet_id, future = self._allocate()
        options = SubscriptionOptions(qos=1)
        self._send(Subscribe(packet_id, [(f, options) for f in filters]))
        return await future

    def backlog(self) -> int:
        """Bytes written but not yet on the socket."""
        return self._writer.transport.get_write_buffer_size()

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    def abort(self, reason: str) -> None:
        """Ends the connection now (the caller reconnects)."""
        self._end(reason)

    async def close(self) -> None:
        """A clean DISCONNECT, then the connection ends."""
        if not self.closed.is_set():
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._send(Disconnect())
        self._end(None)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- internals -------------------------------------------------------------------------------

    def _allocate(self) -> tuple[int, asyncio.Future[list[int]]]:
        if self.closed.is_set():
            raise ConnectionLost(self.error or "the upstream connection is closed")
        for _ in range(0xFFFF):
            self._next_id = self._next_id % 0xFFFF + 1
            if self._next_id not in self._waiting:
                break
        else:  # every identifier in flight: the bridge's window keeps far below this
            raise ConnectionLost("no free packet identifier")
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next_id] = future
        return self._next_id, future

    def _send(self, packet: Packet) -> None:
        self._writer.write(self._codec.send(packet))
        self._sent_at = time.monotonic()

    async def _read(self) -> None:
        try:
            while True:
                data = await self._reader.read(65_536)
                if not data:
                    self._end("the upstream closed the connection")
                    return
                self._heard_at = time.monotonic()
                self._codec.receive_data(data)
                while (packet := self._codec.next_packet()) is not None:
                    await self._dispatch(packet)
        except MqttProtocolError as exc:
            self._end(f"protocol error from the upstream: {exc.message}")
        except (ConnectionError, OSError, ssl.SSLError) as exc:
            self._end(f"the upstream connection failed: {exc}")
        except Exception as exc:  # a local publish failed: drop the connection, not the bridge
            log.exception("edge: handling a packet from the upstream failed")
            self._end(f"handling a packet from the upstream failed: {exc}")

    async def _dispatch(self, packet: Packet) -> None:
        if isinstance(packet, Puback):
            future = self._waiting.pop(packet.packet_id, None)
            if future is not None and not future.done():
                future.set_result([packet.reason_code])
        elif isinstance(packet, Publish):
            wait = self._on_message(packet.topic, packet.payload, packet.qos, packet.retain)
            if wait is not None:
                await wait  # reading pauses: the upstream's messages stay in order
            if packet.qos and packet.packet_id is not None:
                self._send(Puback(packet.packet_id))
        elif isinstance(packet, Suback):
            future = self._waiting.pop(packet.packet_id, None)
            if future is not None and not future.done():
                future.set_result(list(packet.reason_codes))
        elif isinstance(packet, Disconnect):
            self.disconnect_code = packet.reason_code
            why = packet.properties.reason_string or f"reason code 0x{packet.reason_code:02x}"
            self._end(f"the upstream sent DISCONNECT: {why}")
        elif not isinstance(packet, Pingresp):
            log.debug("edge: ignoring %s from the upstream", type(packet).__name__)

    async def _ping(self) -> None:
        period = max(0.5, self._keep_alive / 2)
        while not self.closed.is_set():
            await asyncio.sleep(period / 2)
            now = time.monotonic()
            if now - self._heard_at > self._keep_alive * 1.5:
                self._end("the upstream stopped answering (keep-alive)")
                return
            if now - self._sent_at >= period:
                self._send(Pingreq())

    def _end(self, error: str | None) -> None:
        if self.closed.is_set():
            return
        self.error = error
        self.closed.set()
        lost = ConnectionLost(error or "closed")
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(lost)
        self._waiting.clear()
        self._writer.close()
