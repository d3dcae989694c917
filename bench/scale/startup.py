"""Start-up of an empty server: `python -m headwater serve` to a 200 from /_headwater/health.

One durable server on an empty data directory is started once (it creates its files), stopped, then
started STARTS times more on the same directory; `restart_s` is the median of those, each from the
new process to the first 200 (polled every 5 ms), and `rss_mb` the server's RSS once healthy (median).
The interpreter's bytecode cache decides a good part of the figure: an installed Headwater has its
modules compiled (pip does it), but a checkout run with PYTHONDONTWRITEBYTECODE set and no
__pycache__ compiles Headwater's ~300 modules again at every start. So the row is measured with a cache (its own, under the data root:
nothing is written into the checkout), and the notes give the figure without one.

    .venv/bin/python -m bench.scale.startup [--full] [--data-root DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common.memory import status_kb
from bench.common.servers import HOST, Running, headwater
from bench.scale.rows import table

STARTS = 5
FULL_STARTS = 15
POLL_S = 0.005


def _healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", "/_headwater/health")
            answer = connection.getresponse()
            answer.read()
            return answer.status == 200
        finally:
            connection.close()
    except OSError:
        return False


def _start(workdir: Path, env: dict[str, str], timeout: float = 120.0) -> tuple[float, float]:
    """Starts a server on `workdir`'s data, waits for healthy; returns (seconds, RSS MB), stopped again."""
    server = dataclasses.replace(headwater("durable", name="startup"), env=lambda port, data: env)
    started = time.monotonic()
    running = Running(server, workdir)
    try:
        while not _healthy(running.port):
            if running.proc.poll() is not None:
                raise RuntimeError(f"headwater exited with {running.proc.returncode}: {running.log_tail()}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"headwater not healthy after {timeout:.0f} s: {running.log_tail()}")
            time.sleep(POLL_S)
        seconds = time.monotonic() - started
        return seconds, status_kb(running.proc.pid, "VmRSS") * 1024 / 1e6
    finally:
        running.stop()


def _starts(workdir: Path, env: dict[str, str], count: int) -> tuple[list[float], list[float]]:
    workdir.mkdir(parents=True, exist_ok=True)
    _start(workdir, env)  # creates the data files (and fills the bytecode cache, if there is one)
    times, rss = [], []
    for _ in range(count):
        seconds, mb = _start(workdir, env)
        times.append(seconds)
        rss.append(mb)
    return times, rss


def measure(full: bool, data_root: Path) -> list[dict[str, object]]:
    count = FULL_STARTS if full else STARTS
    workdir = Path(tempfile.mkdtemp(prefix="startup-scale-", dir=data_root))
    try:
        cached = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        # the installed packages keep the bytecode pip compiled; the checkout's own modules (no
        # __pycache__ is written into it) are compiled at every start
        uncached = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": ""}
        times, rss = _starts(workdir / "cached", cached, count)
        cold, _ = _starts(workdir / "uncached", uncached, max(3, count // 3))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        {
            "service": "all",
            "scenario": "empty server",
            "stored": "nothing",
            "rss_mb": round(statistics.median(rss), 1),
            "restart_s": round(statistics.median(times), 3),
            "rates": {},
            "notes": (
                f"median of {count} starts (stop, then `python -m headwater serve --durability durable` to "
                f"a 200 from /_headwater/health, polled every {POLL_S * 1000:.0f} ms): "
                f"{', '.join(f'{t:.2f}' for t in times)} s, with a bytecode cache; "
                f"with PYTHONDONTWRITEBYTECODE set and no cache (Headwater's modules compiled at each start): median "
                f"{statistics.median(cold):.2f} s of {', '.join(f'{t:.2f}' for t in cold)} s"
            ),
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help=f"{FULL_STARTS} starts rather than {STARTS}")
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    args.data_root.mkdir(parents=True, exist_ok=True)
    print(table(measure(args.full, args.data_root)))


if __name__ == "__main__":
    main()
