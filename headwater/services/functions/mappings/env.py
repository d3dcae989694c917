"""What a poller works with: the functions core, the source ports, checkpoints, and a way to
report its LastProcessingResult."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from headwater.services.functions.mappings.checkpoints import Checkpoints
from headwater.services.functions.service import FunctionsCore
from headwater.services.ports import QueueReader, QueueSink, StreamReader


@dataclass(frozen=True, slots=True)
class PollerEnv:
    core: FunctionsCore
    checkpoints: Checkpoints
    streams: StreamReader | None
    queues: QueueReader | None
    sink: QueueSink | None
    # (mapping uuid, LastProcessingResult): kept, and stored when it changes
    note: Callable[[str, str], Awaitable[None]]
