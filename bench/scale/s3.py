"""S3 at scale: memory, restart time and ListObjectsV2 rate as the object count grows.

One durable server, one bucket; small objects (16 bytes) are PUT by concurrent SigV4-signed raw
HTTP clients (bench.s3.wire), in steps up to each size. At each size the server is killed (-9) and
started again on the same data: `restart_s` is from the new process to /_headwater/health healthy.
The orphan-blob sweep then runs in the background; the rate phase waits for its log line (its
duration is in the notes), then lists with ListObjectsV2 (1,000-key pages) from the start of the
bucket, up to 200 pages. RSS is the server's after that phase (after the restart: in the notes).

    .venv/bin/python -m bench.scale.s3 [--full] [--data-root DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common.load import run_threads
from bench.common.memory import status_kb, tree
from bench.common.servers import HOST, Running, headwater
from bench.s3 import control
from bench.s3.listing import list_key, list_objects
from bench.s3.wire import RawS3, describe
from bench.scale.rows import table

BUCKET = "scale"
CLIENTS = 8
LIST_PAGES = 200
SWEEP_LINE = "orphan sweep done"


def _seed(port: int, start: int, stop: int) -> tuple[float, list[str]]:
    """PUTs keys [start, stop); returns the seconds taken and the first errors."""
    errors: list[str] = []
    lock = threading.Lock()
    body = b"0123456789abcdef"

    def work(c: int) -> None:
        conn = RawS3(HOST, port)
        for i in range(start + c, stop, CLIENTS):
            for _ in range(3):
                try:
                    answer = conn.request("PUT", f"/{BUCKET}/{list_key(i)}", (body,))
                except OSError as exc:
                    conn.close()
                    conn = RawS3(HOST, port)
                    problem = f"transport: {exc!r}"
                else:
                    if answer.status == 200:
                        break
                    problem = describe(answer)
                with lock:
                    errors.append(problem)
        conn.close()

    started, stopped, _ = run_threads([lambda c=c: work(c) for c in range(CLIENTS)])
    return stopped - started, errors[:3]


def _rss_mb(running: Running) -> float:
    return sum(status_kb(pid, "VmRSS") for pid in tree(running.proc.pid)) * 1024 / 1e6


def _start(workdir: Path) -> tuple[Running, float]:
    t0 = time.perf_counter()
    running = Running(headwater("durable", name="headwater-s3-scale"), workdir)
    problem = running.wait_ready(120, lambda port: False)
    if problem:
        raise RuntimeError(f"server did not start: {problem}")
    return running, time.perf_counter() - t0


def _kill(running: Running) -> None:
    os.killpg(running.proc.pid, signal.SIGKILL)
    running.proc.wait()
    running.stop()


def _wait_sweep(running: Running, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if SWEEP_LINE in running.log_path.read_text(errors="replace"):
            return time.perf_counter() - t0
        time.sleep(0.2)
    return float("nan")


def _scrape_s(port: int) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"http://{HOST}:{port}/_headwater/metrics", timeout=60) as answer:
        answer.read()
    return time.perf_counter() - t0


def measure(full: bool, data_root: Path) -> list[dict[str, object]]:
    sizes = [100_000, 1_000_000] if full else [100_000, 300_000]
    workdir = Path(tempfile.mkdtemp(prefix="s3-scale-", dir=data_root))
    rows: list[dict[str, object]] = []
    running, _ = _start(workdir)
    try:
        problem = control.create_buckets(running.port, [BUCKET])
        if problem:
            raise RuntimeError(problem)
        stored = 0
        for size in sizes:
            seconds, errors = _seed(running.port, stored, size)
            seed_rate = (size - stored) / seconds
            stored = size
            _kill(running)
            running, restart_s = _start(workdir)
            rss_restart = _rss_mb(running)
            sweep_s = _wait_sweep(running)
            scrape_s = _scrape_s(running.port)
            conn = RawS3(HOST, running.port)
            listing = list_objects(conn, BUCKET, "", page=1000, max_pages=LIST_PAGES)
            conn.close()
            if listing.error:
                errors.append(f"list: {listing.error}")
            rows.append(
                {
                    "service": "s3",
                    "scenario": "small objects, one bucket",
                    "stored": f"{size:,} x 16 B",
                    "rss_mb": round(_rss_mb(running), 1),
                    "restart_s": round(restart_s, 2),
                    "rates": {
                        "ListObjectsV2 keys/s": round(len(listing.keys) / listing.seconds),
                        "PUT obj/s (seeding, 8 clients)": round(seed_rate),
                    },
                    "notes": (
                        f"kill -9 then start; RSS after restart {rss_restart:.0f} MB; background orphan "
                        f"sweep {sweep_s:.1f} s; metrics scrape {scrape_s * 1000:.0f} ms; listed "
                        f"{len(listing.keys):,} keys in {listing.pages} pages"
                        + (f"; errors: {errors}" if errors else "")
                    ),
                }
            )
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 objects (default: 300,000)")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    print(table(measure(args.full, args.data_root)))


if __name__ == "__main__":
    main()
