"""What every service is to the rest of Headwater, and what it is built from.

Theory of operation
-------------------
A service is a package under `services/<name>/` whose `entry.py` exports one `ServiceEntry`: its
name, the botocore model it serves, the services it needs (`requires`), and a `build` function. The
registry (`services/registry.py`) lists the entries in dependency order; the composition root builds
them in that order, starts them in that order, and closes them in the reverse one.

`build` receives a `Host`: the process-wide parts (config, engine, clock, metrics) and `ports`, the
typed seams other services already built offer (`services/ports/`). A service never holds another
service's core: S3 notifications reach SQS through a `QueueSink`, encryption goes through the
`KeyRing` the KMS service provides. What `build` returns, a `Service`, names the ports it provides
in turn.

The HTTP listener needs only `operation(name)` (a coroutine function of (params, ctx) per botocore
operation name) and `fast_paths` (hand-tuned JSON codecs for hot operations). The admin routes,
the banner and `headwater status`/`ls` ask `resources()`: what a service holds, by kind, from its
in-memory registries (never a scan of stored data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from headwater.config import Config
from headwater.engine.api import Engine
from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.context import RequestContext

Handler = Callable[[dict[str, Any], RequestContext], Awaitable[Any]]
# kind ("streams", "queues", "buckets"...) -> the names of the resources of that kind, all accounts
Inventory = Callable[[], Mapping[str, list[str]]]

T = TypeVar("T")


class FastPath(Protocol):
    """A hand-tuned codec for a hot operation: raw JSON body in, raw JSON body out."""

    def __call__(self, body: bytes, ctx: RequestContext, /) -> Awaitable[bytes]: ...


# (status, headers, body) of a REST answer
RestAnswer = tuple[int, list[tuple[str, str]], bytes]


class RestFastPath(Protocol):
    """A hand-tuned path for a hot REST-JSON operation: path labels, query string, headers (lower-cased
    names) and the raw body in, the answer out; None hands the request to the generic codec (the fast
    path takes only the common shape of its request and leaves the rest to the model)."""

    def __call__(
        self,
        labels: Mapping[str, str],
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        ctx: RequestContext,
        /,
    ) -> Awaitable[RestAnswer | None]: ...


class Lifecycle(Protocol):
    """A service core's life: `start` after the engine started (loads state, spawns background
    work), `close` ends background work (before the listeners stop), `reset` drops all state."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None: ...


class Api(Protocol):
    def operation(self, name: str) -> Handler | None: ...


class Ports:
    """The typed seams built services offer one another, looked up by their protocol class."""

    def __init__(self) -> None:
        self._ports: dict[type, object] = {}

    def offer(self, kind: type[T], port: T) -> None:
        if kind in self._ports:
            raise ValueError(f"two services offer {kind.__name__}")
        self._ports[kind] = port

    def get(self, kind: type[T]) -> T:
        port = self._ports.get(kind)
        if port is None:
            raise LookupError(f"no service offers {kind.__name__}: is its service registered first?")
        return port  # type: ignore[return-value]  # offer() stored it under its own kind

    def find(self, kind: type[T]) -> T | None:
        return self._ports.get(kind)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Host:
    """What `ServiceEntry.build` receives: the process-wide parts and the ports built so far."""

    config: Config
    engine: Engine
    clock: SystemClock
    metrics: Metrics
    ports: Ports


class Stages:
    """Several lifecycles run as one: started and reset in order, closed in the reverse one (a core,
    then the work that runs on it)."""

    def __init__(self, *stages: Lifecycle) -> None:
        self._stages = stages

    async def start(self) -> None:
        for stage in self._stages:
            await stage.start()

    async def close(self) -> None:
        for stage in reversed(self._stages):
            await stage.close()

    async def reset(self) -> None:
        for stage in self._stages:
            await stage.reset()


@dataclass(slots=True)
class Service:
    """A built service: its core's lifecycle, its operations, and what it offers other services."""

    name: str
    model: str  # the botocore service model it serves ("kinesis", "sqs", "s3", "kms"...)
    core: Lifecycle
    api: Api
    fast_paths: Mapping[str, FastPath] = field(default_factory=dict)
    provides: Mapping[type, object] = field(default_factory=dict)
    inventory: Inventory | None = None
    rest_fast_paths: Mapping[str, RestFastPath] = field(default_factory=dict)

    def operation(self, name: str) -> Handler | None:
        return self.api.operation(name)

    def resources(self) -> dict[str, list[str]]:
        """What the service holds, by kind (empty when it does not say)."""
        return {kind: list(names) for kind, names in self.inventory().items()} if self.inventory else {}

    def health(self) -> str:
        return "running"


def local_name(config: Config, account: str, region: str, name: str) -> str:
    """A resource's name for listings: bare in the default account and region, qualified elsewhere."""
    if (account, region) == (config.account_id, config.region):
        return name
    return f"{name} ({account} {region})"


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    name: str
    build: Callable[[Host], Service]
    requires: tuple[str, ...] = ()
