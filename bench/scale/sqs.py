"""SQS at scale (issue 10 section 1): a standard and a FIFO backlog, durable, the embedded engine.

For each: seed the backlog through the public API (boto3 SendMessageBatch from several processes, each
with a few threads and connections), kill -9 the server, time the restart to a healthy
/_headwater/health, then measure ReceiveMessage + DeleteMessageBatch on the backlog and on a near-empty
queue in the same run (rounds of WINDOW_ROUND messages sent, then drained while timed), and read the
server's RSS after the restart and after the rate phase.

    .venv/bin/python -m bench.scale.sqs [--full] [--data-root DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from bench.common.memory import status_kb
from bench.common.servers import HOST, Running, headwater
from bench.scale.rows import table

BODY = "x" * 1024
PROCESSES = 4
THREADS = 4
CONSUMERS = 4  # consumer threads (one process: the rate is bound by the server's one loop)
RATE_SECONDS = 15.0
NEAR_EMPTY_ROUND = 3_000  # messages per near-empty round: well inside the resident window


def _client(port: int) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=f"http://{HOST}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(max_pool_connections=THREADS * 2, retries={"max_attempts": 10, "mode": "standard"}),
    )


def _seed_part(port: int, url: str, first: int, count: int, groups: int) -> int:
    """One seeding process: `count` messages from index `first`, THREADS threads."""
    client = _client(port)
    fifo = url.endswith(".fifo")

    def batch(start: int) -> int:
        entries = []
        for i in range(start, min(first + count, start + 10)):
            entry: dict[str, Any] = {"Id": str(i - start), "MessageBody": BODY}
            if fifo:
                entry["MessageGroupId"] = f"g{i % groups}"
                entry["MessageDeduplicationId"] = str(i)
            entries.append(entry)
        result = client.send_message_batch(QueueUrl=url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"seeding failed: {result['Failed'][:1]}")
        return len(entries)

    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(batch, range(first, first + count, 10), chunksize=64))


def seed(port: int, url: str, count: int, groups: int = 1, first: int = 0) -> float:
    """Sends `count` 1 KiB messages, indexes from `first` (a FIFO message's deduplication id is its
    index, so rounds sent within the 5-minute window must not reuse them); returns the seconds it took."""
    started = time.monotonic()
    share = -(-count // PROCESSES)
    share += -share % 10
    with ProcessPoolExecutor(PROCESSES) as pool:
        parts = [
            pool.submit(_seed_part, port, url, first + start, min(share, count - start), groups)
            for start in range(0, count, share)
        ]
        sent = sum(part.result() for part in parts)
    assert sent == count, (sent, count)
    return time.monotonic() - started


def consume(port: int, url: str, seconds: float | None, limit: int | None = None) -> tuple[int, float]:
    """Receive + DeleteMessageBatch from CONSUMERS threads for `seconds` (or until `limit` messages or
    the queue is empty); returns (messages, seconds)."""
    clients = [_client(port) for _ in range(CONSUMERS)]
    done = 0
    lock = threading.Lock()
    started = time.monotonic()
    deadline = None if seconds is None else started + seconds

    def run(client: Any) -> None:
        nonlocal done
        empty = 0
        while (deadline is None or time.monotonic() < deadline) and (limit is None or done < limit):
            messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                empty += 1
                if empty >= 3:
                    return
                continue
            empty = 0
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            client.delete_message_batch(QueueUrl=url, Entries=entries)
            with lock:
                done += len(messages)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, time.monotonic() - started


def near_empty_rate(port: int, url: str, seconds: float) -> float:
    """Rounds of NEAR_EMPTY_ROUND messages sent (untimed) and drained (timed). Every round must drain
    all it sent: a round that sent fewer (a FIFO queue dropping reused deduplication ids as duplicates)
    would time consumers polling an empty queue and report a rate that means nothing."""
    total, spent, rounds = 0, 0.0, 0
    while spent < seconds:
        seed(port, url, NEAR_EMPTY_ROUND, groups=1000, first=rounds * NEAR_EMPTY_ROUND)
        got, took = consume(port, url, None, NEAR_EMPTY_ROUND)
        if got != NEAR_EMPTY_ROUND:
            raise RuntimeError(f"near-empty round {rounds}: sent {NEAR_EMPTY_ROUND:,}, drained {got:,}")
        total, spent, rounds = total + got, spent + took, rounds + 1
    return total / spent


def _rss_mb(pid: int) -> float:
    return status_kb(pid, "VmRSS") * 1024 / 1e6


def _start(workdir: Path) -> tuple[Running, float]:
    started = time.monotonic()
    running = Running(headwater("durable"), workdir)
    problem = running.wait_ready(600, lambda port: False)
    if problem:
        raise RuntimeError(f"headwater did not start: {problem}")
    return running, time.monotonic() - started


def _kill(running: Running) -> None:
    os.killpg(running.proc.pid, signal.SIGKILL)
    running.proc.wait()
    running.stop()


def scenario(workdir: Path, fifo: bool, count: int, groups: int) -> dict[str, object]:
    running, _ = _start(workdir)
    client = _client(running.port)
    attributes = {"FifoQueue": "true"} if fifo else {}
    suffix = ".fifo" if fifo else ""
    backlog = client.create_queue(QueueName=f"backlog{suffix}", Attributes=attributes)["QueueUrl"]
    quiet = client.create_queue(QueueName=f"quiet{suffix}", Attributes=attributes)["QueueUrl"]
    seeded_s = seed(running.port, backlog, count, groups)
    _kill(running)  # kill -9: the restart recovers from the file
    running, restart_s = _start(workdir)
    try:
        rss_restart = _rss_mb(running.proc.pid)
        client = _client(running.port)
        depth = int(
            client.get_queue_attributes(QueueUrl=backlog, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        quiet_rate = near_empty_rate(running.port, quiet, RATE_SECONDS)
        got, took = consume(running.port, backlog, RATE_SECONDS)
        backlog_rate = got / took
        rss_after = _rss_mb(running.proc.pid)
    finally:
        running.stop()
    kind = "FIFO" if fifo else "standard"
    spread = f" over {groups:,} groups" if fifo else ""
    return {
        "service": "sqs",
        "scenario": f"{kind} backlog",
        "stored": f"{count:,} x 1 KiB{spread}",
        "rss_mb": round(max(rss_restart, rss_after), 1),
        "restart_s": round(restart_s, 2),
        "rates": {
            "receive+delete msg/s (backlog)": round(backlog_rate),
            "receive+delete msg/s (near-empty)": round(quiet_rate),
            "backlog / near-empty": round(backlog_rate / quiet_rate, 2),
        },
        "notes": (
            f"RSS {rss_restart:.0f} MB after restart, {rss_after:.0f} MB after the rate phase; "
            f"ApproximateNumberOfMessages {depth:,} after restart; seeded in {seeded_s:.0f} s with boto3 "
            f"SendMessageBatch ({PROCESSES} processes x {THREADS} threads); kill -9 then start to healthy; "
            f"rates: {CONSUMERS} boto3 threads, ReceiveMessage(10) + DeleteMessageBatch, {RATE_SECONDS:.0f} s "
            f"on the backlog, near-empty as rounds of {NEAR_EMPTY_ROUND:,} sent then drained"
        ),
    }


def measure(full: bool, data_root: Path) -> list[dict[str, object]]:
    count = 10_000_000 if full else 1_000_000
    groups = 100_000 if full else 10_000
    rows = []
    for fifo in (False, True):
        workdir = Path(tempfile.mkdtemp(prefix="sqs-scale-", dir=data_root))
        try:
            rows.append(scenario(workdir, fifo, count, groups))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="the issue's sizes (10,000,000 messages)")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    args.data_root.mkdir(parents=True, exist_ok=True)
    print(table(measure(args.full, args.data_root)))


if __name__ == "__main__":
    main()
