"""A small HTTP/1.1 server on loopback for the destination tests: it records every request as
received (method, path, headers, body bytes) and answers with what the test's handler returns,
so a test checks a destination's protocol byte for byte against a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]
Handler = Callable[[Request, "Receiver"], Answer]


@dataclass
class Receiver:
    handler: Handler
    requests: list[Request] = field(default_factory=list)
    server: asyncio.Server | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Polls until `count` requests have arrived (a deadline, not a sleep)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.requests) < count:
            if loop.time() > deadline:
                raise AssertionError(f"{len(self.requests)} requests arrived, not {count}")
            await asyncio.sleep(0.005)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Request(method, path, headers, body)
                self.requests.append(request)
                answer = self.handler(request, self)
                status, payload = answer[0], answer[1]
                extra = answer[2] if len(answer) == 3 else {}  # type: ignore[misc]
                out = [f"HTTP/1.1 {status} X", f"Content-Length: {len(payload)}"]
                out += [f"{k}: {v}" for k, v in {"Content-Type": "application/json", **extra}.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def json_answer(status: int, document: Any) -> Answer:
    return status, json.dumps(document).encode()


async def advance_until(
    receiver: Receiver, count: int, clock: Any, step: float = 0.05, timeout: float = 10.0
) -> float:
    """Advances the TestClock in small steps until `count` requests have arrived; returns how far
    it moved (so a test can check a backoff delay without racing the sleeper)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    moved = 0.0
    while len(receiver.requests) < count:
        if loop.time() > deadline:
            raise AssertionError(f"{len(receiver.requests)} requests arrived, not {count}")
        await asyncio.sleep(0.005)
        if len(receiver.requests) < count:
            clock.advance(step)
            moved += step
    return moved


async def advance_until_done(task: asyncio.Task[Any], clock: Any, step: float, timeout: float = 10.0) -> Any:
    """Advances the TestClock by `step` whenever the task is waiting, until it finishes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        if loop.time() > deadline:
            task.cancel()
            raise AssertionError("the delivery did not finish")
        await asyncio.sleep(0.005)
        clock.advance(step)
    return task.result()
