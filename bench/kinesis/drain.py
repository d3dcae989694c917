"""Drain: read every shard from TRIM_HORIZON with GetRecords(Limit=10000), one thread and connection per shard.

Responses are up to ~14 MB of JSON; a full `json.loads` would cost the client more CPU than many servers
spend producing them, so the drain scans the bytes with regular expressions instead: each record's `Data`
starts with the 32 base64 characters of its id header (see bench/common/wire.py), and the few top-level
fields needed (NextShardIterator, MillisBehindLatest) are matched by name. A shard is done when a response
brings no records and says it is not behind the tip, or when its iterator ends (closed shard).
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass

from bench.common.ledger import Ledger, OrderCheck
from bench.common.load import run_threads
from bench.common.wire import HEADER_B64, HEADER_SIZE
from bench.kinesis.wire import RawKinesis

# The id group is optional so that a `"Data"` this pattern cannot read shows up as b"" instead of vanishing.
_DATA = re.compile(rb'"Data"\s*:\s*"([A-Za-z0-9+/=]{%d})?' % HEADER_B64)
_NEXT = re.compile(rb'"NextShardIterator"\s*:\s*(?:null|"((?:[^"\\]|\\.)*)")')
MAX_FAILURES = 10  # consecutive failed GetRecords on a shard before giving up on it
_BEHIND = re.compile(rb'"MillisBehindLatest"\s*:\s*(\d+)')


@dataclass(frozen=True, slots=True)
class Batch:
    headers: bytes  # the records' id headers, HEADER_SIZE bytes each, in order
    next_iterator: str | None
    millis_behind: int


def parse_get_records(body: bytes) -> Batch:
    found = _DATA.findall(body)
    if b"" in found:
        return _parse_slowly(body)  # unusual JSON (escaped slashes...): do it properly
    # rfind is far faster than a regex search over ~14 MB; the regex then only checks the spot.
    next_match = _match_at(_NEXT, body, b'"NextShardIterator"')
    behind = _match_at(_BEHIND, body, b'"MillisBehindLatest"')
    return Batch(
        headers=base64.b64decode(b"".join(found)),
        next_iterator=_unescape(next_match.group(1)) if next_match and next_match.group(1) else None,
        millis_behind=int(behind.group(1)) if behind else 0,
    )


def _match_at(pattern: re.Pattern[bytes], body: bytes, key: bytes) -> re.Match[bytes] | None:
    at = body.rfind(key)  # top-level keys mostly follow the records: search from the end
    return pattern.match(body, at) if at >= 0 else None


def _unescape(raw: bytes) -> str:
    """A JSON string's content as text (some servers' iterators hold escaped characters, e.g. a newline)."""
    return json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode()


def _parse_slowly(body: bytes) -> Batch:
    reply = json.loads(body)
    headers = b"".join(base64.b64decode(r["Data"][:HEADER_B64]) for r in reply.get("Records", []))
    return Batch(headers, reply.get("NextShardIterator"), int(reply.get("MillisBehindLatest", 0)))


@dataclass(frozen=True, slots=True)
class DrainResult:
    records: int
    seconds: float
    requests: int
    errors: list[str]
    cpu_seconds: float  # this process's CPU time while draining (the client's share of the machine)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def get_records_body(iterator: str, limit: int) -> bytes:
    return json.dumps({"ShardIterator": iterator, "Limit": limit}).encode()


def _drain_shard(
    client: RawKinesis,
    iterator: str,
    limit: int,
    ledger: Ledger,
    deadline: float,
    out: dict[str, int],
    errors: list[str],
) -> None:
    order = OrderCheck()
    records = requests = failures = 0
    current: str | None = iterator
    while current is not None and time.perf_counter() < deadline:
        requests += 1
        try:
            status, body = client.call("GetRecords", get_records_body(current, limit))
        except OSError as exc:  # the iterator is still good: retry on a new connection
            status, body = 0, repr(exc).encode()
        if status != 200:
            errors.append(f"GetRecords {f'HTTP {status}' if status else 'transport'}: {body[:200]!r}")
            failures += 1
            if failures < MAX_FAILURES and (status >= 500 or status == 0 or b"Throughput" in body):
                time.sleep(0.05)
                continue
            break
        failures = 0
        batch = parse_get_records(body)
        ledger.observe(batch.headers, order)
        n = len(batch.headers) // HEADER_SIZE
        records += n
        if n == 0 and batch.millis_behind == 0:
            break
        current = batch.next_iterator
    if time.perf_counter() >= deadline:
        errors.append("drain deadline reached")
    out["records"] = records
    out["requests"] = requests
    out["violations"] = order.violations


def drain(
    host: str, port: int, iterators: list[str], ledger: Ledger, limit: int = 10_000, timeout: float = 900.0
) -> DrainResult:
    """Drain all shards concurrently; `iterators` are TRIM_HORIZON iterators, one per shard."""
    clients = [RawKinesis(host, port) for _ in iterators]
    outs: list[dict[str, int]] = [{} for _ in iterators]
    errors: list[str] = []
    deadline = time.perf_counter() + timeout
    started, stopped, cpu = run_threads(
        [
            lambda i=i, it=it: _drain_shard(clients[i], it, limit, ledger, deadline, outs[i], errors)
            for i, it in enumerate(iterators)
        ]
    )
    for c in clients:
        c.close()
    ledger.order_violations += sum(o.get("violations", 0) for o in outs)
    if any(not o for o in outs):
        errors.append("a drain thread died (see stderr)")
    return DrainResult(
        records=sum(o.get("records", 0) for o in outs),
        seconds=stopped - started,
        cpu_seconds=cpu,
        requests=sum(o.get("requests", 0) for o in outs),
        errors=errors[:20],
    )
