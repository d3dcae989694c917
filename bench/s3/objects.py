"""Object PUT and GET load: small objects (requests/s, N client threads) and large ones (MiB/s, K streams).

Every object body is a 24-byte id header (`bench.common.wire.encode_header(client, seq)`) followed by a tail
shared by every object of the phase, so a body can be rebuilt (and compared) from its key alone, and a server
that answers with another key's body is caught. Small objects: each client PUTs its own keys back to back for
a fixed time (a PUT counts when its answer is 200 with ETag = MD5 of the body), then GETs its acknowledged
keys in shuffled order, round after round, for the same time, comparing every body byte for byte. Large
objects: each stream PUTs its keys one after the other, then GETs them into two reused buffers (header, tail)
and compares with one memcmp; the rate counts only time with a request in flight, so a comparison between two
requests of one stream is not charged to the server.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field

from bench.common.load import run_threads
from bench.common.wire import HEADER_SIZE, Answer, encode_header
from bench.s3.wire import RawS3, describe

MIB = 1024 * 1024


def small_key(client: int, seq: int) -> str:
    return f"small/{client:02d}/{seq:08d}"


def large_key(stream: int, seq: int) -> str:
    return f"large/{stream:02d}/{seq:04d}"


@dataclass
class ClientStats:
    """Owned by one thread; read after it stops."""

    done: int = 0  # requests that succeeded before the deadline
    failed: int = 0
    mismatched: int = 0  # GET bodies (or PUT ETags) that differ from what was sent
    keys: list[int] = field(default_factory=list)  # PUT: acknowledged sequence numbers
    spans: list[tuple[float, float]] = field(default_factory=list)  # large: (start, end) per request
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LoadResult:
    rate: float  # requests/s (small) or MiB/s (large)
    done: int
    failed: int
    mismatched: int
    seconds: float
    cpu_pct: float  # client CPU, % of one core
    errors: list[str]
    keys: list[list[int]]  # per client: acknowledged sequence numbers (PUT)

    @property
    def verified(self) -> bool:
        return self.done > 0 and self.failed == 0 and self.mismatched == 0


def _note(stats: ClientStats, text: str) -> None:
    stats.failed += 1
    if len(stats.errors) < 5:
        stats.errors.append(text)
    time.sleep(0.01)  # a failing server is not hammered in a tight loop


def put_small(host: str, port: int, bucket: str, clients: int, seconds: float, tail: bytes) -> LoadResult:
    stats = [ClientStats() for _ in range(clients)]

    def work(c: int) -> None:
        conn, st, seq = RawS3(host, port), stats[c], 0
        while time.perf_counter() < deadline:
            header = encode_header(c, seq)
            try:
                answer = conn.request("PUT", f"/{bucket}/{small_key(c, seq)}", (header, tail))
            except OSError as exc:
                _note(st, f"transport: {exc!r}")
            else:
                if answer.status != 200:
                    _note(st, describe(answer))
                elif answer.etag != hashlib.md5(header + tail).hexdigest():
                    st.mismatched += 1
                    if len(st.errors) < 5:
                        st.errors.append(f"ETag {answer.etag} is not the body's MD5")
                else:
                    st.keys.append(seq)
                    st.done += time.perf_counter() <= deadline
            seq += 1
        conn.close()

    deadline = time.perf_counter() + seconds
    started, stopped, cpu = run_threads([lambda c=c: work(c) for c in range(clients)])
    return _result(stats, seconds, started, stopped, cpu, sum(s.done for s in stats) / seconds)


def get_small(
    host: str, port: int, bucket: str, keys: list[list[int]], seconds: float, tail: bytes
) -> LoadResult:
    """Each client GETs the keys it PUT (shuffled, cycling) for `seconds`; clients without keys idle."""
    stats = [ClientStats() for _ in keys]

    def work(c: int) -> None:
        mine = list(keys[c])
        if not mine:
            return
        random.Random(c).shuffle(mine)
        conn, st, i = RawS3(host, port), stats[c], 0
        while time.perf_counter() < deadline:
            seq = mine[i % len(mine)]
            i += 1
            try:
                answer = conn.request("GET", f"/{bucket}/{small_key(c, seq)}")
            except OSError as exc:
                _note(st, f"transport: {exc!r}")
                continue
            if answer.status != 200:
                _note(st, describe(answer))
            elif answer.body[:HEADER_SIZE] != encode_header(c, seq) or answer.body[HEADER_SIZE:] != tail:
                st.mismatched += 1
                if len(st.errors) < 5:
                    st.errors.append(f"GET {small_key(c, seq)}: body differs ({len(answer.body)} bytes)")
            else:
                st.done += time.perf_counter() <= deadline
        conn.close()

    deadline = time.perf_counter() + seconds
    started, stopped, cpu = run_threads([lambda c=c: work(c) for c in range(len(keys))])
    return _result(stats, seconds, started, stopped, cpu, sum(s.done for s in stats) / seconds)


def _same(answer: Answer, head: bytearray, rest: bytearray, header: bytes, tail: bytes) -> bool:
    """The GET returned header + tail: in the buffers, or in the body when it could not go there (chunked)."""
    if answer.length != HEADER_SIZE + len(tail):
        return False
    if answer.body:
        return answer.body[:HEADER_SIZE] == header and answer.body[HEADER_SIZE:] == tail
    return head == header and rest == tail


def _busy_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of the intervals: time with at least one request in flight."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def transfer_large(
    host: str, port: int, bucket: str, streams: int, per_stream: int, tail: bytes, method: str
) -> LoadResult:
    """PUT (or GET and compare) `per_stream` objects of HEADER_SIZE + len(tail) bytes on each stream."""
    stats = [ClientStats() for _ in range(streams)]

    def work(s: int) -> None:
        conn, st = RawS3(host, port, timeout=600), stats[s]
        head, rest = bytearray(HEADER_SIZE), bytearray(len(tail)) if method == "GET" else bytearray()
        for seq in range(per_stream):
            header, target = encode_header(s, seq), f"/{bucket}/{large_key(s, seq)}"
            t0 = time.perf_counter()
            try:
                if method == "PUT":
                    answer = conn.request("PUT", target, (header, tail))
                else:
                    answer = conn.request("GET", target, into=(head, rest))
            except OSError as exc:
                _note(st, f"transport: {exc!r}")
                continue
            t1 = time.perf_counter()
            if answer.status != 200:
                _note(st, describe(answer))
                continue
            if method == "GET" and not _same(answer, head, rest, header, tail):
                st.mismatched += 1
                if len(st.errors) < 5:
                    st.errors.append(f"GET {target}: body differs ({answer.length} bytes)")
                continue
            st.spans.append((t0, t1))
            st.done += 1
            st.bytes += HEADER_SIZE + len(tail)
            st.keys.append(seq)
        conn.close()

    started, stopped, cpu = run_threads([lambda s=s: work(s) for s in range(streams)])
    busy = _busy_seconds([span for st in stats for span in st.spans])
    rate = sum(st.bytes for st in stats) / MIB / busy if busy else 0.0
    return _result(stats, busy, started, stopped, cpu, rate)


def _result(
    stats: list[ClientStats], seconds: float, started: float, stopped: float, cpu: float, rate: float
) -> LoadResult:
    return LoadResult(
        rate=rate,
        done=sum(s.done for s in stats),
        failed=sum(s.failed for s in stats),
        mismatched=sum(s.mismatched for s in stats),
        seconds=seconds,
        cpu_pct=100 * cpu / max(stopped - started, 1e-9),
        errors=[e for s in stats for e in s.errors][:5],
        keys=[s.keys for s in stats],
    )
