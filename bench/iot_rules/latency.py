"""Publish-to-Kinesis latency: from writing a PUBLISH to the record being readable with GetRecords.

One device (a blocking socket, Headwater's codec for the packets) publishes at QoS 1 at a steady low rate
on a topic a rule sends to a one-shard stream; a reader thread in the same process calls GetRecords back
to back and notes when each id arrives. Latency = arrival - send, both `time.perf_counter`. The device
reads its PUBACK after each send (outside the sample), which also gives publish-to-PUBACK.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from typing import Any

from bench.iot import codec
from bench.iot_rules.payload import Template, batch, record_ids, telemetry
from bench.kinesis.drain import get_records_body, parse_get_records
from bench.kinesis.wire import RawKinesis

PUBLISHER = 9000


def _pct(samples: list[float], q: int) -> float | None:
    if len(samples) < 2:
        return samples[0] if samples else None
    return round(statistics.quantiles(samples, n=100, method="inclusive")[q - 1], 2)


def measure(
    host: str, http_port: int, mqtt_port: int, topic: str, iterator: str, *, messages: int, rate: float
) -> dict[str, Any]:
    arrivals: dict[int, float] = {}
    errors: list[str] = []
    done = threading.Event()

    def read() -> None:
        client = RawKinesis(host, http_port)
        current: str | None = iterator
        try:
            while current is not None and not done.is_set():
                status, body = client.call("GetRecords", get_records_body(current, 10_000))
                now = time.perf_counter()
                if status != 200:
                    errors.append(f"GetRecords HTTP {status}: {body[:200]!r}")
                    time.sleep(0.01)
                    continue
                for publisher, seq in record_ids(body):
                    if publisher == PUBLISHER:
                        arrivals.setdefault(seq, now)
                current = parse_get_records(body).next_iterator
        except OSError as exc:
            errors.append(f"GetRecords transport: {exc!r}")
        finally:
            client.close()

    sock = socket.create_connection((host, mqtt_port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(codec.connect("bench-latency-device"))
    if sock.recv(4)[0] >> 4 != codec.CONNACK:
        raise ConnectionError("no CONNACK for the latency device")
    template = Template(topic, telemetry(PUBLISHER, 256), 1)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent_at: dict[int, float] = {}
    puback_ms: list[float] = []
    period, start = 1.0 / rate, time.perf_counter()
    try:
        for seq in range(messages):
            due = start + seq * period
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            packet = batch([template], seq, 1)
            sent_at[seq] = t0 = time.perf_counter()
            sock.sendall(packet)
            head = sock.recv(4)  # PUBACK: 0x40 0x02 id id
            puback_ms.append((time.perf_counter() - t0) * 1000)
            if not head or head[0] >> 4 != codec.PUBACK:
                errors.append(f"expected a PUBACK, got {head.hex()}")
                break
        deadline = time.perf_counter() + 5
        while len(arrivals) < len(sent_at) and time.perf_counter() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        sock.sendall(codec.DISCONNECT)
        sock.close()
        reader.join(5)
    samples = sorted((arrivals[s] - sent_at[s]) * 1000 for s in sent_at if s in arrivals)
    return {
        "sent": len(sent_at),
        "received": len(samples),
        "p50_ms": _pct(samples, 50),
        "p99_ms": _pct(samples, 99),
        "puback_p50_ms": _pct(sorted(puback_ms), 50),
        "rate_per_s": rate,
        "errors": errors[:5],
    }
