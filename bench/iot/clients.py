"""The load generator's MQTT clients: asyncio publishers and subscribers on raw streams.

Theory of operation. A publisher writes prebuilt PUBLISH packets in batches (`batch` packets per write,
sequence number and send time patched in place), waiting on the transport only when its buffer is past
the high-water mark: at QoS 0 that is all the flow control there is (TCP's); at QoS 1 it keeps at most
`inflight` messages unacknowledged, counting PUBACKs on a reader task. A subscriber reads large chunks,
splits packets by hand, answers every QoS 1 PUBLISH of a chunk with one write of PUBACKs, and checks each
publisher's sequence numbers: one above the last is in order, more is a gap, less or equal is a
duplicate or a reordering. Messages count towards the rate only when they arrive inside the measured
window [warm, end]; after it the subscriber keeps reading until it has what the publishers sent (the
parent tells it), goes idle for `idle` s, or `drain` s pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from bench.iot import codec

_ID = struct.Struct(">H")


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def open_mqtt(
    host: str, port: int, client_id: str, ssl: Any = None, keepalive: int = 1200
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connected MQTT 3.1.1 session (clean), or ConnectionError with the CONNACK's code."""
    # TLS: the name checked is "localhost", which every broker's certificate here covers
    reader, writer = await asyncio.open_connection(
        host, port, ssl=ssl, limit=1 << 20, server_hostname="localhost" if ssl else None
    )
    writer.write(codec.connect(client_id, keepalive))
    head = await reader.readexactly(4)
    if head[0] >> 4 != codec.CONNACK or head[3] != 0:
        writer.close()
        raise ConnectionError(f"CONNACK {head.hex()} for {client_id}")
    return reader, writer


async def subscribe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, topic: str, qos: int) -> None:
    writer.write(codec.subscribe(1, topic, qos))
    head = await reader.readexactly(5)
    if head[0] >> 4 != codec.SUBACK or head[4] > 2:
        raise ConnectionError(f"SUBACK {head.hex()} for {topic}")


@dataclass
class Publisher:
    host: str
    port: int
    client_id: str
    topic: str
    publisher: int
    qos: int
    size: int = 256
    batch: int = 64
    inflight: int = 100
    sent: int = 0
    acked: int = 0
    error: str = ""

    async def connect(self) -> None:
        self.reader, self.writer = await open_mqtt(self.host, self.port, self.client_id)
        self.writer.transport.set_write_buffer_limits(high=256 * 1024)

    async def run(self, end: float) -> None:
        """Publish until `end` (time.monotonic); at QoS 1 then wait up to 10 s for the last PUBACKs."""
        template = codec.PublishTemplate(self.topic, self.qos, self.publisher, self.size)
        one, size = template.packet, template.size
        block = bytearray(one * self.batch)
        progress = asyncio.Event()
        acks = asyncio.create_task(self._count_acks(progress)) if self.qos else None
        writer, stamp, seq = self.writer, codec.STAMP, 0
        try:
            while time.monotonic() < end:
                n = self.batch
                if self.qos:
                    n = min(n, self.inflight - (seq - self.acked))
                    if n <= 0:
                        progress.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(progress.wait(), max(0.001, end - time.monotonic()))
                        continue
                now = time.monotonic_ns()
                for k in range(n):
                    stamp.pack_into(block, k * size + template.stamp_at, self.publisher, seq + k, now)
                    if self.qos:
                        _ID.pack_into(block, k * size + template.id_at, (seq + k) % 65535 + 1)
                writer.write(block if n == self.batch else block[: n * size])
                seq += n
                self.sent = seq
                await writer.drain()
            if acks:
                deadline = time.monotonic() + 10
                while self.acked < self.sent and time.monotonic() < deadline:
                    progress.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(progress.wait(), 0.5)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.error = repr(exc)
        finally:
            if acks:
                acks.cancel()
            self.writer.write(codec.DISCONNECT)
            self.writer.close()

    async def _count_acks(self, progress: asyncio.Event) -> None:
        buf = bytearray()
        while True:
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                return
            buf += chunk
            packets, used = codec.split(buf)
            del buf[:used]
            self.acked += sum(1 for first, _, _ in packets if first >> 4 == codec.PUBACK)
            progress.set()


@dataclass
class Subscriber:
    host: str
    port: int
    client_id: str
    topic: str
    qos: int
    received: int = 0  # every PUBLISH, duplicates included
    in_window: int = 0
    gaps: int = 0  # sequence numbers skipped (lost, or late)
    behind: int = 0  # at or below the publisher's highest so far: duplicate or out of order
    last: dict[int, int] = field(default_factory=dict)
    error: str = ""

    async def connect(self) -> None:
        self.reader, self.writer = await open_mqtt(self.host, self.port, self.client_id)
        await subscribe(self.reader, self.writer, self.topic, self.qos)

    async def run(
        self, warm: float, end: float, expected: asyncio.Future[int], drain: float, idle: float
    ) -> None:
        """Read until what the publishers sent has arrived (`expected`, set after `end`), or idle/drain."""
        buf = bytearray()
        try:
            while True:
                if expected.done() and self.received >= expected.result():
                    break
                if time.monotonic() > end + drain:
                    break
                try:
                    chunk = await asyncio.wait_for(self.reader.read(1 << 18), idle)
                except TimeoutError:
                    if time.monotonic() > end and expected.done():
                        break  # idle after the load: the rest is lost
                    continue
                if not chunk:
                    self.error = "connection closed by the broker"
                    break
                buf += chunk
                got = self._consume(buf)
                now = time.monotonic()
                if warm <= now <= end:
                    self.in_window += got
        except OSError as exc:
            self.error = repr(exc)
        finally:
            self.writer.write(codec.DISCONNECT)
            self.writer.close()

    def _consume(self, buf: bytearray) -> int:
        """Handle the complete packets at the start of `buf`, remove them; how many were PUBLISH."""
        pos, end, got = 0, len(buf), 0
        acks = bytearray()
        last, unpack = self.last, codec.STAMP.unpack_from
        while pos + 2 <= end:
            first, length, i = buf[pos], buf[pos + 1], pos + 2
            if length & 0x80:  # two bytes for a 256-byte payload; longer ones through the general path
                length, i = codec.remaining(buf, pos + 1, end)
                if i < 0:
                    break
            if i + length > end:
                break
            if first >> 4 == codec.PUBLISH:
                j = i + 2 + ((buf[i] << 8) | buf[i + 1])
                if first & 0x06:
                    acks += b"\x40\x02" + buf[j : j + 2]
                    j += 2
                pub, seq, _ = unpack(buf, j)
                prev = last.get(pub, -1)
                if seq > prev:
                    self.gaps += seq - prev - 1
                    last[pub] = seq
                else:
                    self.behind += 1
                got += 1
            pos = i + length
        del buf[:pos]
        if acks:
            self.writer.write(acks)
        self.received += got
        return got
