"""Send-to-receive latency: one producer SendMessage at a steady rate, one consumer long-polling.

The producer sends one message at a time on a fixed schedule (a late send moves the schedule on instead of
bursting to catch up) and notes each message's send start before sending. The consumer calls
ReceiveMessage(10, WaitTimeSeconds=20) back to back and notes when each message reaches it; a second thread
deletes what it received, on its own connection, so the consumer is back in its long poll at once.
Latency = arrival - send start, both `time.perf_counter` in this process.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from bench.common.latency import LatencyResult, Producer, arrived
from bench.common.wire import HEADER_SIZE
from bench.sqs.wire import RawSqs, delete_batch_body, filler, parse_receive, receive_body, send_message_body

LATENCY_PRODUCER = 7777


class _Producer(Producer):
    """`count` SendMessage, one every 1/rate s (a late send moves the schedule on), stopping at `cap` s."""

    def __init__(self, client: RawSqs, queue_url: str, count: int, rate: float, cap: float, size: int):
        super().__init__(client, "SendMessage")
        self.queue_url = queue_url
        self.count, self.period, self.cap = count, 1.0 / rate, cap
        self.tail = filler(size - HEADER_SIZE)

    def body(self, seq: int) -> bytes:
        return send_message_body(self.queue_url, LATENCY_PRODUCER, seq, self.tail)

    def schedule(self) -> Iterator[int]:
        start = next_at = time.perf_counter()
        for seq in range(self.count):
            now = time.perf_counter()
            if now - start > self.cap:
                self.errors.append(f"producer stopped at the {self.cap:.0f} s cap after {seq} messages")
                return
            if now < next_at:
                time.sleep(next_at - now)
            yield seq
            next_at = max(next_at + self.period, time.perf_counter())


def _deleter(
    client: RawSqs, queue_url: str, work: queue.Queue[list[bytes] | None], errors: list[str]
) -> None:
    try:
        while (handles := work.get()) is not None:
            status, answer = client.call("DeleteMessageBatch", delete_batch_body(queue_url, handles))
            if status != 200:
                errors.append(f"DeleteMessageBatch HTTP {status}: {answer[:200]!r}")
    except OSError as exc:
        errors.append(f"deleter transport: {exc!r}")
    finally:
        client.close()


def send_to_receive(
    host: str,
    port: int,
    queue_url: str,
    count: int,
    rate: float,
    body_size: int = 1024,
    cap: float = 60.0,
    grace: float = 5.0,
) -> LatencyResult:
    """`count` messages at `rate`/s (the producer stops at `cap` s regardless) to an empty queue."""
    producer = _Producer(RawSqs(host, port), queue_url, count, rate, cap, body_size)
    consumer = RawSqs(host, port)
    arrivals: dict[int, float] = {}
    errors: list[str] = []
    work: queue.Queue[list[bytes] | None] = queue.Queue()
    gave_up = threading.Event()

    def watchdog() -> None:  # a lost message would leave the consumer in a 20 s poll: cut it short
        producer.done.wait()
        if not gave_up.wait(grace):
            gave_up.set()
            consumer.abort()

    threads = [
        threading.Thread(target=producer.run, daemon=True),
        threading.Thread(target=_deleter, args=(RawSqs(host, port), queue_url, work, errors), daemon=True),
        threading.Thread(target=watchdog, daemon=True),
    ]
    for t in threads:
        t.start()
    receive = receive_body(queue_url, 10, 20)
    try:
        while not (producer.done.is_set() and len(arrivals) >= len(producer.sent_at)):
            if gave_up.is_set():
                break
            status, answer = consumer.call("ReceiveMessage", receive)
            now = time.perf_counter()
            if status != 200:
                errors.append(f"ReceiveMessage HTTP {status}: {answer[:200]!r}")
                time.sleep(0.01)
                continue
            got = parse_receive(answer)
            arrived(arrivals, got.ids, now)
            if got.handles:
                work.put(got.handles)
    except OSError as exc:
        if not gave_up.is_set():
            errors.append(f"consumer transport: {exc!r}")
    finally:
        gave_up.set()
        consumer.close()
        work.put(None)
        for t in threads:
            t.join()
    return producer.result(arrivals, errors)
