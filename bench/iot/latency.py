"""Unloaded latency: one publisher and one subscriber on blocking sockets, one message at a time.

The publisher's PUBLISH is written, the subscriber's socket is read until that message is complete,
and the time between is one sample (same process, same clock); at QoS 1 the subscriber's PUBACK and the
broker's PUBACK to the publisher are exchanged after the sample is taken, outside the timing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any

from bench.iot import codec


def _connect(host: str, port: int, client_id: str) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(codec.connect(client_id))
    head = _read_packet(sock, bytearray())[0]
    if head >> 4 != codec.CONNACK:
        raise ConnectionError(f"no CONNACK for {client_id}")
    return sock


def _read_packet(sock: socket.socket, buf: bytearray) -> tuple[int, bytes]:
    """The next packet from `buf` + the socket (what follows it stays in `buf`)."""
    while True:
        packets, used = codec.split(buf)
        if packets:
            first, start, end = packets[0]
            body = bytes(buf[start:end])
            del buf[:end]
            return first, body
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the broker")
        buf += chunk


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(
    host: str, port: int, qos: int, messages: int, warmup: int = 100, size: int = 256
) -> dict[str, Any]:
    topic = f"bench/latency/q{qos}"
    sub = _connect(host, port, f"bench-lat-sub-{qos}")
    pub = _connect(host, port, f"bench-lat-pub-{qos}")
    sub_buf, pub_buf = bytearray(), bytearray()
    try:
        sub.sendall(codec.subscribe(1, topic, qos))
        if _read_packet(sub, sub_buf)[0] >> 4 != codec.SUBACK:
            raise ConnectionError("no SUBACK")
        template = codec.PublishTemplate(topic, qos, 0, size)
        packet = bytearray(template.packet)
        load = os.getloadavg()[0]
        samples: list[float] = []
        for seq in range(warmup + messages):
            codec.STAMP.pack_into(packet, template.stamp_at, 0, seq, 0)
            if qos:
                codec.struct.pack_into(">H", packet, template.id_at, seq % 65535 + 1)
            t0 = time.perf_counter()
            pub.sendall(packet)
            while True:
                first, body = _read_packet(sub, sub_buf)
                if first >> 4 == codec.PUBLISH:
                    break
            t1 = time.perf_counter()
            if qos:
                sub.sendall(codec.puback(int.from_bytes(body[2 + len(topic) : 4 + len(topic)], "big")))
                while _read_packet(pub, pub_buf)[0] >> 4 != codec.PUBACK:
                    pass
            if seq >= warmup:
                samples.append((t1 - t0) * 1e3)
        samples.sort()
        return {
            "p50_ms": percentile(samples, 0.50),
            "p99_ms": percentile(samples, 0.99),
            "max_ms": samples[-1],
            "messages": len(samples),
            "load": round(load, 2),
        }
    finally:
        for sock in (pub, sub):
            with contextlib.suppress(OSError):
                sock.sendall(codec.DISCONNECT)
            sock.close()
