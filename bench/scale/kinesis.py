"""Kinesis at scale (issue 10 section 1): memory, restart and reads independent of what is stored.

One durable Headwater (`--limits off`) gets a 4-shard stream, seeded through the public API with
PutRecords (4 connections in parallel, 200 records of 48 KiB per call: ~9.8 MB of data per call) to
1 GB (default) or 10 GB (`--full`). Then the server is killed with SIGKILL and started again on the
same data directory, three times: `restart_s` is the median time from the new process to a healthy
/_headwater/health (the notes give each, and the start on an empty data directory for comparison).
Its RSS is read right after the restart and again after the rate phase, which compares GetRecords
throughput (MB of record data per second, one reader per shard in parallel, 10,000-record pages):
- "at the tip": records written after the restart, read from their first sequence number, as a
  consumer that keeps up reads them;
- "at TRIM_HORIZON": the same volume from the oldest records, written before everything else.

    .venv/bin/python -m bench.scale.kinesis [--full] [--data-root DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common.memory import status_kb, tree
from bench.common.servers import HOST, Running, headwater
from bench.kinesis.wire import RawKinesis
from bench.scale.rows import table

STREAM = "scale"
SHARDS = 4
RECORD = 48 * 1024
PER_CALL = 200
SEEDERS = 4
RESTARTS = 3
GB = 10**9
MB = 10**6


def _call(client: RawKinesis, operation: str, params: dict[str, object]) -> dict[str, object]:
    status, body = client.call(operation, json.dumps(params).encode())
    if status != 200:
        raise RuntimeError(f"{operation}: {status} {body[:300]!r}")
    return json.loads(body) if body else {}


def _status(client: RawKinesis) -> str:
    summary = _call(client, "DescribeStreamSummary", {"StreamName": STREAM})["StreamDescriptionSummary"]
    assert isinstance(summary, dict)
    return str(summary["StreamStatus"])


def _rss_mb(pid: int) -> float:
    return sum(status_kb(p, "VmRSS") for p in tree(pid)) * 1024 / MB


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_headwater/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _start(workdir: Path) -> tuple[Running, float]:
    began = time.monotonic()
    server = Running(headwater("durable", name="kinesis-scale"), workdir)
    problem = server.wait_ready(600, _healthy)
    if problem:
        raise RuntimeError(f"server not ready: {problem}")
    return server, time.monotonic() - began


def _put_body(seeder: int) -> bytes:
    data = base64.b64encode(os.urandom(RECORD)).decode()
    records = [{"Data": data, "PartitionKey": f"{seeder}-{i}"} for i in range(PER_CALL)]
    return json.dumps({"StreamName": STREAM, "Records": records}).encode()


def _seed(port: int, total_bytes: int) -> tuple[float, dict[str, str]]:
    """Writes `total_bytes` of record data; returns (seconds, the first sequence number per shard)."""
    calls = max(1, total_bytes // (RECORD * PER_CALL))
    firsts: dict[str, str] = {}
    lock = threading.Lock()
    counter = iter(range(calls))

    def seeder(index: int) -> None:
        client, body = RawKinesis(HOST, port), _put_body(index)
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            status, answer = client.call("PutRecords", body)
            if status != 200:
                raise RuntimeError(f"PutRecords: {status} {answer[:300]!r}")
            with lock:
                for record in json.loads(answer)["Records"]:
                    firsts.setdefault(record["ShardId"], record["SequenceNumber"])

    began = time.monotonic()
    with ThreadPoolExecutor(SEEDERS) as pool:
        for done in [pool.submit(seeder, i) for i in range(SEEDERS)]:
            done.result()
    return time.monotonic() - began, firsts


def _read_rate(port: int, iterators: dict[str, Callable[[RawKinesis], str]], budget: int) -> float:
    """MB/s of record data read by one reader per shard until `budget` bytes in all."""
    share = budget // len(iterators)

    def reader(start: Callable[[RawKinesis], str]) -> int:
        client = RawKinesis(HOST, port)
        iterator, got = start(client), 0
        while got < share and iterator:
            page = _call(client, "GetRecords", {"ShardIterator": iterator, "Limit": 10000})
            records = page["Records"]
            assert isinstance(records, list)
            if not records:
                break
            got += sum(len(r["Data"]) * 3 // 4 for r in records)
            iterator = str(page.get("NextShardIterator") or "")
        return got

    began = time.monotonic()
    with ThreadPoolExecutor(len(iterators)) as pool:
        total = sum(pool.map(reader, iterators.values()))
    return total / MB / (time.monotonic() - began)


def _iterator(shard: str, kind: str, number: str | None = None) -> Callable[[RawKinesis], str]:
    def start(client: RawKinesis) -> str:
        params: dict[str, object] = {"StreamName": STREAM, "ShardId": shard, "ShardIteratorType": kind}
        if number:
            params["StartingSequenceNumber"] = number
        return str(_call(client, "GetShardIterator", params)["ShardIterator"])

    return start


def _disk_gb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / GB


def measure(full: bool, data_root: Path) -> list[dict[str, object]]:
    target = 10 * GB if full else 1 * GB
    read_budget = 1 * GB if full else 256 * MB
    workdir = Path(tempfile.mkdtemp(prefix="kinesis-scale-", dir=data_root))
    try:
        server, empty_start_s = _start(workdir)
        client = RawKinesis(HOST, server.port)
        _call(client, "CreateStream", {"StreamName": STREAM, "ShardCount": SHARDS})
        deadline = time.monotonic() + 60
        while _status(client) != "ACTIVE" and time.monotonic() < deadline:
            time.sleep(0.05)
        seed_s, _ = _seed(server.port, target)
        stored = _disk_gb(server.data)
        restarts = []
        for _ in range(RESTARTS):  # the machine is shared: the median of a few kill -9 restarts
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
            server.stop()
            server, took = _start(workdir)
            restarts.append(took)
        restart_s = statistics.median(restarts)
        rss_restart = _rss_mb(server.proc.pid)
        _, firsts = _seed(server.port, read_budget)  # the tip: what a caught-up consumer reads
        tip = _read_rate(
            server.port, {s: _iterator(s, "AT_SEQUENCE_NUMBER", n) for s, n in firsts.items()}, read_budget
        )
        shards = [f"shardId-{i:012d}" for i in range(SHARDS)]
        horizon = _read_rate(server.port, {s: _iterator(s, "TRIM_HORIZON") for s in shards}, read_budget)
        rss_after = _rss_mb(server.proc.pid)
        server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        {
            "service": "kinesis",
            "scenario": f"{SHARDS}-shard stream, durable",
            "stored": f"{target / GB:.1f} GB of records ({stored:.1f} GB on disk)",
            "rss_mb": round(max(rss_restart, rss_after), 1),
            "restart_s": round(restart_s, 2),
            "rates": {
                "GetRecords MB/s (at the tip)": round(tip, 1),
                "GetRecords MB/s (at TRIM_HORIZON)": round(horizon, 1),
                "TRIM_HORIZON / tip": round(horizon / tip, 2),
            },
            "notes": (
                f"seeded with PutRecords ({SEEDERS} connections, {PER_CALL} x 48 KiB per call) in "
                f"{seed_s:.0f} s; restart: median of {RESTARTS} after kill -9 "
                f"({', '.join(f'{t:.2f}' for t in restarts)} s; the same server starts on an empty data dir "
                f"in {empty_start_s:.2f} s); RSS {rss_restart:.0f} MB after the restart, "
                f"{rss_after:.0f} MB after reading {2 * read_budget / GB:.2f} GB"
            ),
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="10 GB stored (default 1 GB)")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    args.data_root.mkdir(parents=True, exist_ok=True)
    print(table(measure(args.full, args.data_root)))


if __name__ == "__main__":
    main()
