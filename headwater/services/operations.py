"""What the gateway calls on a service: `operation(name)` gives a coroutine function of (params, ctx).

Each service lists its operations as plain functions of (core, params, ctx); this binds them to the
service's core once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from headwater.services.context import RequestContext

Bound = Callable[[dict[str, Any], RequestContext], Awaitable[Any]]


class ServiceApi:
    def __init__(self, core: Any, operations: Mapping[str, Callable[..., Awaitable[Any]]]) -> None:
        self.core = core
        self._bound = {name: self._bind(handler) for name, handler in operations.items()}

    def _bind(self, handler: Callable[..., Awaitable[Any]]) -> Bound:
        core = self.core

        def bound(params: dict[str, Any], ctx: RequestContext) -> Awaitable[Any]:
            return handler(core, params, ctx)

        return bound

    def operation(self, name: str) -> Bound | None:
        return self._bound.get(name)
