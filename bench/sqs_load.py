"""The SQS load: N sender threads doing SendMessageBatch back to back, N consumers doing Receive + Delete.

Senders patch each entry's id (and FIFO group and de-duplication id) into a body built once and wait for
each answer before sending the next batch, like the Kinesis producers; the ledger records every entry as
acknowledged, rejected (listed under Failed, or a 4xx) or uncertain (5xx, broken connection). Consumers
call ReceiveMessage(10, long poll) and delete what they got with one DeleteMessageBatch before receiving
again, until the ledger says every expected message has arrived, each consumer has had `empty_rounds`
empty answers in a row, or the deadline passes. Threads spend their time in socket calls (no GIL held).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.ledger import ACKED, REJECTED, UNCERTAIN, Ledger
from bench.loadgen import IngestResult, ProducerStats, StopWhen
from bench.sqs_ledger import QueueLedger
from bench.sqs_wire import RawSqs, SendBatchTemplate, delete_batch_body, failed_entries, parse_receive

MAX_FAILURES = 10  # consecutive failed calls before a consumer gives up


def _sender(
    producer: int,
    client: RawSqs,
    template: SendBatchTemplate,
    ledger: Ledger,
    stats: ProducerStats,
    stop: threading.Event,
) -> None:
    seq, n = 0, template.count
    while not stop.is_set():
        body = template.render(producer, seq)
        ledger.mark(producer, seq, n, UNCERTAIN)
        stats.requests += 1
        try:
            status, answer = client.call("SendMessageBatch", body)
        except OSError as exc:
            stats.uncertain += n
            stats.errors.append(f"transport: {exc!r}")
            seq += n
            time.sleep(0.05)  # the server may be gone; do not spin
            continue
        now = time.perf_counter()
        acked = 0
        if status == 200:
            failed = failed_entries(answer)
            ledger.mark(producer, seq, n, ACKED)
            for i in failed:
                ledger.set_state(producer, seq + i, REJECTED)
            if failed:
                stats.errors.append(f"{len(failed)} entries failed: {answer[:200]!r}")
            acked = n - len(failed)
            stats.rejected += len(failed)
        elif 400 <= status < 500:
            ledger.mark(producer, seq, n, REJECTED)
            stats.rejected += n
            stats.errors.append(f"HTTP {status}: {answer[:200]!r}")
        else:
            stats.uncertain += n
            stats.errors.append(f"HTTP {status}: {answer[:200]!r}")
        stats.acked += acked
        stats.timeline.append((now, acked))
        seq += n


def send(
    host: str,
    port: int,
    templates: list[SendBatchTemplate],
    ledger: Ledger,
    until: StopWhen,
    first_producer: int = 0,
) -> IngestResult:
    """One sender thread per template (each its own connection), producers numbered from
    `first_producer` (the ledger must know them); stops when `until` says so."""
    clients = [RawSqs(host, port) for _ in templates]
    stats = [ProducerStats() for _ in templates]
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_sender, args=(first_producer + p, clients[p], t, ledger, stats[p], stop), daemon=True
        )
        for p, t in enumerate(templates)
    ]
    cpu0 = time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    while not until.done(time.perf_counter() - started, sum(s.acked for s in stats)):
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    stopped = time.perf_counter()
    cpu = time.process_time() - cpu0
    for c in clients:
        c.close()
    return IngestResult(
        started=started,
        stopped=stopped,
        timeline=sorted(entry for s in stats for entry in s.timeline),
        acked=sum(s.acked for s in stats),
        rejected=sum(s.rejected for s in stats),
        uncertain=sum(s.uncertain for s in stats),
        requests=sum(s.requests for s in stats),
        errors=[e for s in stats for e in s.errors][:20],
        cpu_seconds=cpu,
    )


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
    started: float
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
    on_start: Callable[[], None] | None = None,
) -> ConsumeResult:
    """Receive + delete until `ledger.complete()` (its `expected` set by the caller), all consumers see
    `empty_rounds` empty answers in a row, or `timeout` passes. `receive` is the ReceiveMessage body."""
    clients = [RawSqs(host, port) for _ in range(consumers)]
    result = ConsumeResult()
    before = ledger.distinct_acked
    cpu0 = time.process_time()
    started = time.perf_counter()
    shared = _Shared(ledger, started, started + timeout, result)
    shared.last_new = started
    threads = [
        threading.Thread(target=_consumer, args=(c, queue_url, receive, empty_rounds, shared), daemon=True)
        for c in clients
    ]
    if on_start:
        on_start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.cpu_seconds = time.process_time() - cpu0
    for c in clients:
        c.close()
    result.distinct = ledger.distinct_acked - before
    result.complete = ledger.complete()
    result.seconds = shared.last_new - started
    return result
