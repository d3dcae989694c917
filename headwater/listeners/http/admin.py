"""Admin routes under /_headwater/ (never an AWS path): health, resources (names per service), reset,
metrics, and the test clock."""

from __future__ import annotations

import json
from typing import Any, Protocol

from headwater.runtime.clock import SystemClock, TestClock
from headwater.runtime.metrics import Metrics


class AdminHost(Protocol):
    """What the admin routes act on: the composition root."""

    clock: SystemClock
    metrics: Metrics

    def health(self) -> dict[str, Any]: ...

    def resources(self) -> dict[str, dict[str, list[str]]]: ...

    async def reset(self) -> None: ...


JSON = "application/json"


def _json(status: int, body: object) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(body).encode()


class Admin:
    def __init__(self, app: AdminHost) -> None:
        self.app = app

    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_headwater/health"):
            return _json(200, self.app.health())
        if route == ("GET", "/_headwater/resources"):
            return _json(200, self.app.resources())
        if route == ("POST", "/_headwater/reset"):
            await self.app.reset()
            return _json(200, {"reset": True})
        if route == ("GET", "/_headwater/metrics"):
            return 200, "text/plain; version=0.0.4", self.app.metrics.render().encode()
        if path.rstrip("/") == "/_headwater/clock":
            return self._clock(method, body)
        return _json(404, {"error": f"no admin route {method} {path}"})

    def _clock(self, method: str, body: bytes) -> tuple[int, str, bytes]:
        clock = self.app.clock
        if not isinstance(clock, TestClock):
            return _json(404, {"error": "the test clock is only available with --test-mode"})
        if method == "POST":
            try:
                seconds = float(json.loads(body or b"{}").get("advance", 0))
                clock.advance(seconds)
            except (ValueError, TypeError, AttributeError) as exc:
                return _json(400, {"error": f'expected {{"advance": seconds}}: {exc}'})
        return _json(200, {"now": clock.now(), "offset": clock.offset})
