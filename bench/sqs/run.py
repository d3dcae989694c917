"""One SQS benchmark run: its settings and the state its phases share (the scenario and the backlog
phase both use them, so they live apart from either)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common.servers import Running
from bench.sqs.ledger import QueueLedger


@dataclass(frozen=True, slots=True)
class Settings:
    duration: float = 20.0  # seconds of each send measurement (standard, FIFO)
    clients: int = 8  # senders, and consumers in the drains
    batch: int = 10
    body_size: int = 1024
    fifo_groups: int = 64
    wait_seconds: int = 1  # the drains' long poll
    latency_messages: int = 1000
    latency_rate: float = 100.0
    backlog: int = 1_000_000
    backlog_window: int = 50_000
    backlog_body: int = 100
    backlog_fill_timeout: float = 240.0
    drain_timeout: float = 600.0
    ready_timeout: float = 90.0
    keep_data: bool = False


@dataclass
class Run:
    """What the phases of one run share."""

    port: int
    s: Settings
    running: Running
    urls: dict[str, str]
    m: dict[str, float]
    notes: dict[str, str]
    ledgers: dict[str, QueueLedger] = field(default_factory=dict)
