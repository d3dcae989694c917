"""Where the benchmark counts what a rule delivered: records readable in Kinesis, messages visible in
SQS, shadow `update/accepted` documents. Each keeps a cumulative count with the time it was taken, so the
rate inside the measured window is (count at its end - count at its start) / its length.

Kinesis: one thread per shard reads GetRecords(Limit 10000) from TRIM_HORIZON on its own raw connection,
back to back while answers are large and every 50 ms once caught up, and counts `"Data"` members (no
JSON parse). SQS: GetQueueAttributes'
ApproximateNumberOfMessages every 100 ms (nothing is received or deleted, so the server's work is the
rule's alone). Shadows: one MQTT subscriber on `$aws/things/+/shadow/update/accepted` at QoS 0.
"""

from __future__ import annotations

import bisect
import contextlib
import socket
import threading
import time
from typing import Any

from bench.iot import codec
from bench.iot_rules.payload import record_count
from bench.kinesis.drain import get_records_body, parse_get_records
from bench.kinesis.wire import RawKinesis


class Counter:
    """A cumulative count sampled over time (time.monotonic)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.totals: list[int] = []
        self.total = 0
        self.errors: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n
            self.times.append(time.monotonic())
            self.totals.append(self.total)

    def set(self, total: int) -> None:
        with self._lock:
            self.total = total
            self.times.append(time.monotonic())
            self.totals.append(total)

    def at(self, moment: float) -> int:
        """The count as last seen at or before `moment`."""
        with self._lock:
            i = bisect.bisect_right(self.times, moment)
            return self.totals[i - 1] if i else 0

    def wait(self, expected: int, idle: float, limit: float) -> float:
        """Until the count reaches `expected`, stops moving for `idle` s, or `limit` s pass; returns
        when the last count arrived."""
        deadline = time.monotonic() + limit
        while self.total < expected and time.monotonic() < deadline:
            last = self.times[-1] if self.times else 0.0
            if time.monotonic() - last > idle and self.times:
                break
            time.sleep(0.05)
        return self.times[-1] if self.times else time.monotonic()


def kinesis_readers(host: str, port: int, iterators: list[str], counter: Counter) -> list[threading.Thread]:
    def read(iterator: str) -> None:
        client = RawKinesis(host, port)
        current: str | None = iterator
        try:
            while current is not None and not counter.stop.is_set():
                status, body = client.call("GetRecords", get_records_body(current, 10_000))
                if status != 200:
                    counter.errors.append(f"GetRecords HTTP {status}: {body[:200]!r}")
                    time.sleep(0.05)
                    continue
                n = record_count(body)
                if n:
                    counter.add(n)
                if n < 1000:  # caught up: a pause, or the polls would cost the server more than the rule
                    time.sleep(0.05)
                current = parse_get_records(body).next_iterator
        except OSError as exc:
            counter.errors.append(f"GetRecords transport: {exc!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=read, args=(it,), daemon=True) for it in iterators]
    for thread in threads:
        thread.start()
    return threads


def sqs_poller(sqs: Any, queue_url: str, counter: Counter) -> threading.Thread:
    def poll() -> None:
        while not counter.stop.is_set():
            try:
                attrs = sqs.get_queue_attributes(
                    QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                total = int(attrs["ApproximateNumberOfMessages"])
                if total != counter.total or not counter.times:
                    counter.set(total)
            except Exception as exc:  # noqa: BLE001 - noted; the poll goes on
                counter.errors.append(repr(exc)[:200])
            time.sleep(0.1)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    return thread


def accepted_subscriber(host: str, port: int, counter: Counter) -> threading.Thread:
    """Counts PUBLISH packets on `$aws/things/+/shadow/update/accepted` (subscribed before it returns)."""
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(codec.connect("bench-shadow-accepted"))
    if sock.recv(4)[0] >> 4 != codec.CONNACK:
        raise ConnectionError("no CONNACK for the accepted subscriber")
    sock.sendall(codec.subscribe(1, "$aws/things/+/shadow/update/accepted", 0))
    granted = sock.recv(5)
    if granted[0] >> 4 != codec.SUBACK or granted[-1] > 2:
        raise ConnectionError(f"SUBACK {granted.hex()}")
    sock.settimeout(0.2)

    def read() -> None:
        buf = bytearray()
        try:
            while not counter.stop.is_set():
                try:
                    chunk = sock.recv(1 << 18)
                except TimeoutError:
                    continue
                if not chunk:
                    counter.errors.append("the accepted subscriber was disconnected")
                    return
                buf += chunk
                packets, used = codec.split(buf)
                del buf[:used]
                got = sum(1 for first, _, _ in packets if first >> 4 == codec.PUBLISH)
                if got:
                    counter.add(got)
        finally:
            with contextlib.suppress(OSError):
                sock.sendall(codec.DISCONNECT)
            sock.close()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread
