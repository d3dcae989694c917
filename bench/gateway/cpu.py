"""Server CPU per request in the HTTP front door: this checkout against another one, same run.

Starts one Headwater server per checkout (``python -m headwater serve`` with that cwd), drives each
with boto3 clients for Lambda Invoke (a trivial Python function), SQS SendMessageBatch (10 messages)
and S3 1 KiB PutObject, and reads the server's CPU (utime + stime of /proc/<pid>/stat: every thread
of the process; the function workers, its children, are reported apart) over N requests per round.
Rounds alternate between the servers, so drift on a shared machine hits both (many short rounds
follow it best); means over rounds (= totals over all requests) are printed.
Wall throughput is not the point here (2 shared cores): CPU per request is.

Run: python -m bench.gateway.cpu --baseline /path/to/other/checkout [--n 100] [--rounds 25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import control
from bench.common.servers import HOST, free_port
from bench.functions import control as functions

REPO = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")
THREADS = 4
OPERATIONS = ("invoke", "sqs-batch", "s3-put")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (all threads)


def user_seconds(pid: int) -> float:
    """utime alone: the Python work, less blurred by the kernel's share of a busy machine."""
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[11]) / TICK


def switches(pid: int) -> int:
    """Context switches (voluntary and not) of every thread of the process so far."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:  # a thread that just ended
            continue
        total += sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return total


def children_cpu(pid: int) -> float:
    """CPU of the live descendants (function workers)."""
    total = 0.0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        total += cpu_seconds(int(child)) + children_cpu(int(child))
    return total


class Server:
    def __init__(
        self, name: str, checkout: Path, workdir: Path, args: list[str], env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.port = free_port()
        data = workdir / f"{name}-data"
        self._log = (workdir / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "headwater", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(data), "--limits", "off", *args]
        self.proc = subprocess.Popen(
            command,
            cwd=checkout,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/_headwater/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{name} not ready")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._log.close()


def workload(port: int, operation: str) -> Callable[[], None]:
    """A per-thread callable making one request (setup done here, off the measurement)."""
    if operation == "invoke":
        lam = functions.client(port)
        payload = b'{"k": "v"}'
        return lambda: _check(lam.invoke(FunctionName="cpu-bench", Payload=payload)["StatusCode"] == 200)
    if operation == "sqs-batch":
        sqs = control.client("sqs", port)
        url = sqs.get_queue_url(QueueName="cpu-bench")["QueueUrl"]
        entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(10)]
        return lambda: _check(not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed"))
    s3 = control.client("s3", port)
    body = b"x" * 1024
    counter = iter(range(10**9))
    return lambda: s3.put_object(Bucket="cpu-bench", Key=f"k{next(counter) % 500}", Body=body) and None


def _check(ok: bool) -> None:
    if not ok:
        raise RuntimeError("request failed")


def setup(port: int) -> None:
    functions.ensure_role(port)
    lam = functions.client(port)
    functions.create(lam, "cpu-bench")
    control.client("sqs", port).create_queue(QueueName="cpu-bench")
    control.client("s3", port).create_bucket(Bucket="cpu-bench")


def measure(server: Server, calls: list[Callable[[], None]], n: int) -> tuple[float, float, float, float]:
    """Per request over `n` requests from len(calls) threads: the server's CPU and its function
    workers' (microseconds), the server's context switches and its user CPU (microseconds)."""
    per_thread = n // len(calls)
    pid = server.proc.pid
    before, kids_before, switched = cpu_seconds(pid), children_cpu(pid), switches(pid)
    user = user_seconds(pid)
    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(lambda call: [call() for _ in range(per_thread)], calls))
    done = per_thread * len(calls)
    server_us = (cpu_seconds(pid) - before) / done * 1e6
    workers_us = (children_cpu(pid) - kids_before) / done * 1e6
    return server_us, workers_us, (switches(pid) - switched) / done, (user_seconds(pid) - user) / done * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--n", type=int, default=100, help="requests per round and operation")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--serve-args", default="", help="extra `serve` flags, space-separated")
    parser.add_argument("--this-env", action="append", default=[], help="KEY=VALUE for this server only")
    args = parser.parse_args()
    operations = args.operations.split(",")
    results: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="gw-cpu-") as tmp:
        extra = args.serve_args.split()
        servers = [
            Server("baseline", args.baseline, Path(tmp), extra),
            Server("this", REPO, Path(tmp), extra, dict(pair.split("=", 1) for pair in args.this_env)),
        ]
        try:
            calls: dict[tuple[str, str], list[Callable[[], None]]] = {}
            for server in servers:
                setup(server.port)
                for operation in operations:
                    calls[server.name, operation] = [workload(server.port, operation) for _ in range(THREADS)]
                    measure(server, calls[server.name, operation], 200)  # warm-up
            for _ in range(args.rounds):
                for operation in operations:
                    for server in servers:
                        got = measure(server, calls[server.name, operation], args.n)
                        results.setdefault((server.name, operation), []).append(got)
        finally:
            for server in servers:
                server.stop()
    print(
        f"{'operation':<10} {'baseline us/req':>16} {'this us/req':>12} {'ratio':>6}  workers us/req  switches/req"
    )
    for operation in operations:
        row = []
        for name in ("baseline", "this"):
            got = results[name, operation]
            row.append([statistics.mean(sample[i] for sample in got) for i in range(4)])
        (base, base_w, base_s, base_u), (this, this_w, this_s, this_u) = row
        print(
            f"{operation:<10} {base:16.0f} {this:12.0f} {this / base:6.2f}  {base_w:5.0f} / {this_w:<5.0f}"
            f"  {base_s:5.1f} / {this_s:<5.1f}  {base_u:5.0f} / {this_u:<5.0f}  rounds: {[round(s[0]) for s in results['baseline', operation]]}"
            f" / {[round(s[0]) for s in results['this', operation]]}"
        )


if __name__ == "__main__":
    main()
