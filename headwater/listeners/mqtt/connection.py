"""One MQTT client connection, whatever carries it (TCP, TLS, WebSocket): the broker's `MqttOutlet`.

Theory of operation. Bytes arrive through `feed` and go to the sans-IO codec; complete packets
are handed over in order: the first must be CONNECT (within `CONNECT_TIMEOUT_S` of the
connection, against slow-loris clients), which goes to `MqttBroker.connect`; every later one goes
to `MqttSession.receive` (a PUBLISH straight there: it is most of the traffic). When the broker
must finish something before the next packet (a connect, a full window of held PUBACKs, a
subscriber that is behind) it returns an awaitable: reading pauses until it is done, so packets
stay ordered and a client that outruns the server waits in its own TCP buffer, never in ours. A protocol error
ends the connection with the reason code (MQTT 5's DISCONNECT, a 3.1.1 CONNACK return code for a
bad CONNECT, or a plain close); keep-alive is held to 1.5 times the session's value. The broker
writes through `write` (encoded at once, never blocking; `buffered` tells it how far behind the
client is) and ends connections with `close`. Writes are gathered per loop turn: the packets the
broker writes while one batch of reads is handled go to the wire as one `write` at the end of the
turn (one syscall for hundreds of PUBLISHes to a busy subscriber, rather than one each);
`buffered` counts them too, and anything written straight to the wire (a DISCONNECT, the close)
flushes them first so order holds. `MqttSession.ended` is called exactly once, however
the connection ends, and nothing a client does can raise out of here into the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any, Protocol

from headwater.listeners.mqtt.codec import Codec
from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    MQTT_311,
    Connack,
    Connect,
    Disconnect,
    MqttProtocolError,
    Packet,
    Properties,
    Publish,
)
from headwater.services.ports import MqttBroker, MqttPeer, MqttSession

log = logging.getLogger("headwater.listeners.mqtt")

CONNECT_TIMEOUT_S = 5.0  # from the transport being ready (after TLS or the WebSocket upgrade)
KEEP_ALIVE_FACTOR = 1.5
FLUSH_BYTES = 64 * 1024  # gathered writes go out at the end of the loop turn, or at this size


class Wire(Protocol):
    """The byte stream under a connection: a socket or TLS transport, or WebSocket messages."""

    def write(self, data: bytes) -> None: ...

    def close(self) -> None:
        """Closes once what was written is sent."""
        ...

    def buffered(self) -> int: ...

    def drained(self) -> Awaitable[None] | None:
        """None under the transport's high mark; else done once it is back under its low one."""
        ...

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class MqttConnection:
    """Drives one client between its wire and the broker (implements `MqttOutlet`)."""

    def __init__(self, broker: MqttBroker, peer: MqttPeer, wire: Wire, codec: Codec) -> None:
        self.broker = broker
        self.peer = peer
        self.wire = wire
        self.codec = codec
        self.session: MqttSession | None = None
        self._level = MQTT_311
        self._waiting: asyncio.Future[Any] | None = None
        self._closed = False
        self._ended = False
        self._close_code = rc.SUCCESS
        self._client_initiated = False
        self._last_seen = time.monotonic()
        self._out: list[bytes] = []  # encoded packets waiting for the end of the loop turn
        self._out_size = 0
        loop = self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = loop.call_later(CONNECT_TIMEOUT_S, self._connect_expired)

    # --- MqttOutlet ---------------------------------------------------------------------------

    @property
    def protocol_level(self) -> int:
        return self._level

    @property
    def buffered(self) -> int:
        return self.wire.buffered() + self._out_size

    # The last QoS 0 PUBLISH encoded, for every connection: the broker hands one packet object to
    # each receiver of a fan-out (and never changes a packet it wrote), so it is encoded once.
    _shared: tuple[Any, int, bytes] = (None, 0, b"")

    def write(self, packet: Any) -> None:
        if self._closed:
            return
        shared = MqttConnection._shared
        if packet is shared[0] and self._level == shared[1]:
            data = shared[2]
        else:
            data = self.codec.send(packet)
            if type(packet) is Publish and not packet.qos:
                MqttConnection._shared = (packet, self._level, data)
        out = self._out
        if not out:
            self._loop.call_soon(self._flush)
        out.append(data)
        self._out_size += len(data)
        if self._out_size >= FLUSH_BYTES:  # a big turn goes out in parts: the transport's marks see it
            self._flush()

    def drained(self) -> Awaitable[None] | None:
        return None if self._closed else self.wire.drained()

    def _flush(self) -> None:
        out = self._out
        if not out:
            return
        self._out, self._out_size = [], 0
        if not self._closed:
            self.wire.write(out[0] if len(out) == 1 else b"".join(out))

    def close(self, reason_code: int = 0, reason: str | None = None) -> None:
        if self._closed:
            return
        if self._level == MQTT_5 and self.session is not None:
            properties = Properties(reason_string=reason)
            self._send_quietly(Disconnect(reason_code, properties))
        self._finish(reason_code, client_initiated=False)

    # --- the wire's side ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self._closed:
            return
        self._last_seen = time.monotonic()
        self.codec.receive_data(data)
        self._pump()

    def lost(self) -> None:
        """The wire closed without a DISCONNECT (the client vanished, or we closed it): AWS's
        CONNECTION_LOST, the will is published."""
        if not self._closed:
            self._finish(rc.SUCCESS, client_initiated=False)

    def client_closed(self) -> None:
        """The client closed a WebSocket with a Close frame: to AWS, a client-initiated disconnect
        like an MQTT DISCONNECT (no will)."""
        if not self._closed:
            self._finish(rc.SUCCESS, client_initiated=True)

    # --- internals ----------------------------------------------------------------------------

    def _pump(self) -> None:
        """Hands the buffered packets over in order until one has to wait."""
        next_packet = self.codec.next_packet
        while self._waiting is None and not self._closed:
            try:
                packet = next_packet()
            except MqttProtocolError as exc:
                self._protocol_error(exc)
                return
            except Exception:  # a codec bug must cost this client only
                log.exception("MQTT decoding failed for %s", self.peer.remote_address)
                self._finish(rc.UNSPECIFIED_ERROR, client_initiated=False)
                return
            if packet is None:
                return
            try:
                session = self.session
                if session is not None and type(packet) is Publish:  # the hot path: no dispatch
                    pending = session.receive(packet)
                else:
                    pending = self._dispatch(packet)
            except Exception:
                log.exception("the broker failed a packet from %s", self.peer.remote_address)
                self.close(rc.UNSPECIFIED_ERROR)
                return
            if pending is not None:
                self._wait(pending)

    def _dispatch(self, packet: Packet) -> Awaitable[Any] | None:
        session = self.session
        if session is None:
            if not isinstance(packet, Connect):
                self._protocol_error(MqttProtocolError(rc.PROTOCOL_ERROR, "the first packet must be CONNECT"))
                return None
            self._level = MQTT_5 if packet.protocol_level == MQTT_5 else MQTT_311
            return self._connect(packet)
        if isinstance(packet, Connect):
            self._protocol_error(MqttProtocolError(rc.PROTOCOL_ERROR, "a second CONNECT"))
            return None
        pending = session.receive(packet)
        if isinstance(packet, Disconnect):
            code = packet.reason_code
            if pending is not None:  # the broker finishes with it before the socket closes
                self._wait(pending, then_close=code)
                return None
            self._finish(code, client_initiated=True)
        return pending

    async def _connect(self, packet: Connect) -> None:
        session = await self.broker.connect(packet, self.peer, self)
        if self._closed:
            if session is not None:  # the client left while the broker answered
                await session.ended(self._close_code, self._client_initiated)
            return
        if session is None:  # refused: the CONNACK (if the broker wrote one) goes out, then the close
            self._finish(rc.NOT_AUTHORIZED, client_initiated=False)
            return
        self.session = session
        self._cancel_timer()
        if session.keep_alive > 0:
            self._arm_keep_alive(session.keep_alive * KEEP_ALIVE_FACTOR)

    def _wait(self, pending: Awaitable[Any], then_close: int | None = None) -> None:
        self._waiting = asyncio.ensure_future(pending)
        self.wire.pause_reading()

        def done(task: asyncio.Future[Any]) -> None:
            self._waiting = None
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error("the broker failed a packet from %s", self.peer.remote_address, exc_info=exc)
                self.close(rc.UNSPECIFIED_ERROR)
                return
            if then_close is not None:
                self._finish(then_close, client_initiated=True)
                return
            if not self._closed:
                self.wire.resume_reading()
                self._pump()

        self._waiting.add_done_callback(done)

    def _protocol_error(self, exc: MqttProtocolError) -> None:
        log.debug("MQTT protocol error from %s: %s", self.peer.remote_address, exc.message)
        if self.session is None:
            # a CONNECT the codec could not read may still have told it the version
            level = getattr(self.codec, "protocol_level", None)
            if level in (MQTT_5, MQTT_311):
                self._level = level
            code = exc.connack_code if self._level != MQTT_5 else exc.reason_code
            if code is not None and self._waiting is None:
                self._send_quietly(Connack(False, code))
        elif self._level == MQTT_5:
            self._send_quietly(Disconnect(exc.reason_code, Properties(reason_string=exc.message)))
        self._finish(exc.reason_code, client_initiated=False)

    def _send_quietly(self, packet: Packet) -> None:
        self._flush()
        try:
            self.wire.write(self.codec.send(packet))
        except Exception:  # nothing more to say to a client whose version or state we cannot encode for
            log.debug("could not encode %s for %s", type(packet).__name__, self.peer.remote_address)

    def _finish(self, code: int, client_initiated: bool) -> None:
        if self._closed:
            return
        self._flush()  # what the broker wrote goes before the close
        self._closed = True
        self._close_code = code
        self._client_initiated = client_initiated
        self._cancel_timer()
        self.wire.close()
        session, self.session = self.session, None
        if session is not None and not self._ended:
            self._ended = True
            asyncio.ensure_future(self._end(session, code, client_initiated))

    async def _end(self, session: MqttSession, code: int, client_initiated: bool) -> None:
        if self._waiting is not None:  # the packet in hand is done (stored, or not) first
            await asyncio.wait([self._waiting])
        try:
            await session.ended(code, client_initiated)
        except Exception:
            log.exception("the broker failed to end the session of %s", self.peer.remote_address)

    # --- timers -------------------------------------------------------------------------------

    def _connect_expired(self) -> None:
        self._timer = None
        if self.session is None and self._waiting is None and not self._closed:
            log.debug("no CONNECT from %s in %.0f s", self.peer.remote_address, CONNECT_TIMEOUT_S)
            self._finish(rc.MAXIMUM_CONNECT_TIME, client_initiated=False)

    def _arm_keep_alive(self, limit: float) -> None:
        delay = max(0.0, self._last_seen + limit - time.monotonic())
        self._timer = asyncio.get_running_loop().call_later(delay, self._keep_alive_check, limit)

    def _keep_alive_check(self, limit: float) -> None:
        self._timer = None
        if self._closed:
            return
        if time.monotonic() - self._last_seen >= limit and self._waiting is None:
            self.close(rc.KEEP_ALIVE_TIMEOUT)
            return
        self._arm_keep_alive(limit)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
