"""Publishers in worker processes: asyncio MQTT clients writing prebuilt PUBLISH batches at QoS 1.

Each publisher keeps at most `inflight` messages unacknowledged (AWS IoT's 100 by default), so the rate
is what the server acknowledges, PUBACKs included: the rules engine and the shadow service hold a QoS 1
PUBACK until the message is theirs. Workers connect, report ready, get one plan (`end` on the shared
`time.monotonic` clock), publish until it and report what they sent and had acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench.iot import codec
from bench.iot.clients import open_mqtt
from bench.iot_rules.payload import Template, batch

_CTX = multiprocessing.get_context("spawn")  # no inherited threads or sockets from the orchestrator


@dataclass
class Spec:
    host: str
    port: int
    client_id: str
    topics: list[str]  # cycled message by message; names of one length (one packet size)
    payloads: list[bytes]  # one per topic
    qos: int = 1
    batch: int = 32
    inflight: int = 100


@dataclass
class Publisher:
    spec: Spec
    sent: int = 0
    acked: int = 0
    error: str = ""
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    async def connect(self) -> None:
        s = self.spec
        self.reader, self.writer = await open_mqtt(s.host, s.port, s.client_id)
        self.writer.transport.set_write_buffer_limits(high=256 * 1024)

    async def run(self, end: float) -> None:
        s = self.spec
        templates = [Template(t, p, s.qos) for t, p in zip(s.topics, s.payloads, strict=True)]
        acks = asyncio.create_task(self._count_acks()) if s.qos else None
        try:
            while time.monotonic() < end:
                n = s.batch if not s.qos else min(s.batch, s.inflight - (self.sent - self.acked))
                if n <= 0:
                    self._progress.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._progress.wait(), max(0.001, end - time.monotonic()))
                    continue
                self.writer.write(batch(templates, self.sent, n))
                self.sent += n
                await self.writer.drain()
            deadline = time.monotonic() + 10  # the last PUBACKs
            while acks and self.acked < self.sent and time.monotonic() < deadline:
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), 0.5)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.error = repr(exc)
        finally:
            if acks:
                acks.cancel()
            self.writer.write(codec.DISCONNECT)
            self.writer.close()

    async def _count_acks(self) -> None:
        buf = bytearray()
        while chunk := await self.reader.read(1 << 16):
            buf += chunk
            packets, used = codec.split(buf)
            del buf[:used]
            self.acked += sum(1 for first, _, _ in packets if first >> 4 == codec.PUBACK)
            self._progress.set()


async def _work(specs: list[Spec], conn: Connection) -> None:
    publishers = [Publisher(s) for s in specs]
    try:
        await asyncio.gather(*(p.connect() for p in publishers))
    except Exception as exc:  # noqa: BLE001 - the reason goes back to the orchestrator
        conn.send({"error": f"connect: {exc!r}"})
        return
    conn.send({"ready": True})
    plan = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    cpu = time.process_time()
    await asyncio.gather(*(p.run(plan["end"]) for p in publishers))
    conn.send({"sent": sum(p.sent for p in publishers), "acked": sum(p.acked for p in publishers),
               "errors": [p.error for p in publishers if p.error],
               "cpu": time.process_time() - cpu})  # fmt: skip


def _worker(specs: list[Spec], conn: Connection) -> None:
    asyncio.run(_work(specs, conn))


class Publishers:
    """`specs` spread over `procs` worker processes."""

    def __init__(self, specs: list[Spec], procs: int) -> None:
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        for share in (specs[i::procs] for i in range(min(procs, len(specs)))):
            mine, theirs = _CTX.Pipe()
            proc = _CTX.Process(target=_worker, args=(share, theirs), daemon=True)
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    def gather(self, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        out = []
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"a publisher process gave no answer in {timeout:.0f} s")
            msg = pipe.recv()
            if "error" in msg:
                raise RuntimeError(msg["error"])
            out.append(msg)
        return out

    def start(self, end: float) -> None:
        for pipe in self.pipes:
            pipe.send({"end": end})

    def close(self) -> None:
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
