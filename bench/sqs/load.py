"""The SQS load: N sender threads doing SendMessageBatch back to back, N consumers doing Receive + Delete.

Senders are bench.common.load's: each patches its entries' ids (and FIFO group and de-duplication id)
into a body built once and waits for each answer before sending the next batch; an entry listed under
Failed is rejected. Consumers call ReceiveMessage(10, long poll) and delete what they got with one
DeleteMessageBatch before receiving again, until the ledger says every expected message has arrived, each
consumer has had `empty_rounds` empty answers in a row, or the deadline passes. Threads spend their time in
socket calls (no GIL held).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bench.common.ledger import ACKED, REJECTED, Ledger
from bench.common.load import ProducerStats, SendResult, StopWhen, run_senders, run_threads
from bench.sqs.ledger import QueueLedger
from bench.sqs.wire import RawSqs, SendBatchTemplate, delete_batch_body, failed_entries, parse_receive

MAX_FAILURES = 10  # consecutive failed calls before a consumer gives up


def _settle(producer: int, seq: int, n: int, answer: bytes, ledger: Ledger, stats: ProducerStats) -> int:
    """Record a 200 answer: every entry acknowledged but those listed under Failed."""
    failed = failed_entries(answer)
    ledger.mark(producer, seq, n, ACKED)
    for i in failed:
        ledger.set_state(producer, seq + i, REJECTED)
    if failed:
        stats.errors.append(f"{len(failed)} entries failed: {answer[:200]!r}")
    stats.rejected += len(failed)
    return n - len(failed)


def send(
    host: str,
    port: int,
    templates: list[SendBatchTemplate],
    ledger: Ledger,
    until: StopWhen,
    first_producer: int = 0,
) -> SendResult:
    """One sender thread per template (each its own connection), producers numbered from
    `first_producer` (the ledger must know them); stops when `until` says so."""
    clients = [RawSqs(host, port) for _ in templates]
    return run_senders(clients, templates, "SendMessageBatch", _settle, ledger, until, first_producer)


@dataclass
class ConsumeResult:
    distinct: int = 0  # acknowledged messages received for the first time in this call
    received: int = 0  # every message received, duplicates included
    seconds: float = 0.0  # from start to the last receive that brought a new message
    receives: int = 0
    empty_receives: int = 0
    delete_failures: int = 0
    complete: bool = False
    cpu_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.distinct / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Shared:
    ledger: QueueLedger
    deadline: float
    result: ConsumeResult
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_new: float = 0.0

    def progress(self, received: int, new: int, delete_failures: int) -> None:
        now = time.perf_counter()
        with self.lock:
            r = self.result
            r.received += received
            r.delete_failures += delete_failures
            if new:
                self.last_new = now
        if self.ledger.complete():
            self.stop.set()

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.result.errors) < 20:
                self.result.errors.append(text)


def _consumer(client: RawSqs, queue_url: str, receive: bytes, empty_rounds: int, s: _Shared) -> None:
    empties = failures = 0
    while not s.stop.is_set():
        if time.perf_counter() > s.deadline:
            s.error("consume deadline reached")
            return
        try:
            status, answer = client.call("ReceiveMessage", receive)
        except OSError as exc:
            status, answer = 0, repr(exc).encode()
        s.result.receives += 1  # a plain int add: racy but only a statistic
        if status != 200:
            s.error(f"ReceiveMessage {f'HTTP {status}' if status else 'transport'}: {answer[:200]!r}")
            failures += 1
            if failures >= MAX_FAILURES:
                return
            time.sleep(0.05)
            continue
        failures = 0
        got = parse_receive(answer)
        if not got.handles:
            s.result.empty_receives += 1
            empties += 1
            if empties >= empty_rounds:
                return
            continue
        empties = 0
        new = s.ledger.receive(got.ids)
        delete_failures = 0
        try:
            status, answer = client.call("DeleteMessageBatch", delete_batch_body(queue_url, got.handles))
            if status != 200:
                delete_failures = len(got.handles)
                s.error(f"DeleteMessageBatch HTTP {status}: {answer[:200]!r}")
            else:
                delete_failures = len(failed_entries(answer))
        except OSError as exc:
            delete_failures = len(got.handles)
            s.error(f"DeleteMessageBatch transport: {exc!r}")
        s.progress(len(got.handles), new, delete_failures)


def consume(
    host: str,
    port: int,
    queue_url: str,
    ledger: QueueLedger,
    consumers: int,
    receive: bytes,
    empty_rounds: int = 2,
    timeout: float = 600.0,
) -> ConsumeResult:
    """Receive + delete until `ledger.complete()` (its `expected` set by the caller), all consumers see
    `empty_rounds` empty answers in a row, or `timeout` passes. `receive` is the ReceiveMessage body."""
    clients = [RawSqs(host, port) for _ in range(consumers)]
    result = ConsumeResult()
    before = ledger.distinct_acked
    started = time.perf_counter()
    shared = _Shared(ledger, started + timeout, result, last_new=started)
    _, _, result.cpu_seconds = run_threads(
        [lambda c=c: _consumer(c, queue_url, receive, empty_rounds, shared) for c in clients]
    )
    for c in clients:
        c.close()
    result.distinct = ledger.distinct_acked - before
    result.complete = ledger.complete()
    result.seconds = shared.last_new - started
    return result
