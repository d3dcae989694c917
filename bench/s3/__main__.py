"""S3 benchmark: Headwater (durable, fast) against moto and LocalStack's S3, same workload, same client.

    python -m bench.s3 [--quick] [--runs 3] [--duration 15] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail, with the reason), makes the payloads (object
tails, the multipart source file), measures the client's own ceiling against a server that keeps objects in
memory, then runs every server `--runs` times (interleaved, so drift hits all alike; each run starts with a
measurement of the disk's sequential write speed) and writes the S3 section of bench/RESULTS.md (between
markers; the rest of the file is left alone) plus the raw numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.common.peers import MOTO, Lineup, localstack
from bench.common.servers import headwater, trivial
from bench.common.wire import HEADER_SIZE
from bench.s3 import report
from bench.s3.multipart import make_source
from bench.s3.objects import MIB
from bench.s3.scenario import Payloads, Settings, run_server

ENTRY = "python -m bench.s3"
# moto serves S3 from its one venv; LocalStack's S3 keeps bodies in spooled files under its data directory.
LINEUP = Lineup(
    servers=[headwater("durable"), headwater("fast"), MOTO, localstack("s3")],
    trivial=trivial("trivial-s3", "bench.s3.trivial"),
    services=("s3",),  # its S3 provider imports more than its SQS one: checked at install
)
FULL = {
    "duration": 15.0,
    "large_mib": 64,
    "large_count": 8,
    "per_stream": 4,
    "multipart_mib": 1024,
    "part_mib": 16,
    "list_keys": 100_000,
    "list_load_timeout": 300.0,
    "disk_mib": 1024,
}
HELP = {
    "duration": "seconds of each small-object measurement (PUT, then GET)",
    "large_mib": "size of the large objects, MiB",
    "large_count": "large objects through the single stream",
    "per_stream": "large objects per stream in the multi-stream measurement",
    "multipart_mib": "size of the multipart file, MiB (a multiple of 1)",
    "part_mib": "multipart part size, MiB (>= 5)",
    "list_keys": "keys loaded for the listing measurements",
    "list_load_timeout": "cap on loading them, s",
    "disk_mib": "MiB written by the disk speed measurement",
}
QUICK = {
    "duration": 3.0,
    "large_mib": 16,
    "large_count": 4,
    "per_stream": 2,
    "multipart_mib": 128,
    "part_mib": 8,
    "list_keys": 5_000,
    "list_load_timeout": 30.0,
    "disk_mib": 256,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = runner.parser(ENTRY, __doc__, LINEUP.servers, "small volumes (~3 min)")
    p.add_argument("--clients", type=int, default=8, help="client threads for small objects and the load")
    p.add_argument("--streams", type=int, default=4, help="streams in the multi-stream large measurement")
    p.add_argument("--transfer-threads", type=int, default=8, help="boto3 TransferConfig max_concurrency")
    for key, full in FULL.items():
        flag = "--" + key.replace("_", "-")
        p.add_argument(flag, type=type(full), help=f"{HELP[key]} (default {full:g}; quick {QUICK[key]:g})")
    args = runner.parse(p, argv, LINEUP.servers)
    if args.part_mib is not None and args.part_mib < 5:
        p.error("--part-mib must be at least 5 (S3's minimum part size)")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    defaults = QUICK if args.quick else FULL
    values = {key: getattr(args, key) if getattr(args, key) is not None else defaults[key] for key in FULL}
    return Settings(
        clients=args.clients,
        streams=args.streams,
        transfer_threads=args.transfer_threads,
        keep_data=args.keep_data,
        **values,
    )


def payloads(s: Settings, workdir: Path) -> Payloads:
    """The object tails and the multipart source file, made once per invocation."""
    source = workdir / "multipart-source.bin"
    make_source(source, s.multipart_mib * MIB)
    return Payloads(
        small_tail=os.urandom(s.small_size - HEADER_SIZE),
        large_tail=os.urandom(s.large_mib * MIB - HEADER_SIZE),
        source=source,
    )


def data_filesystem(path: Path) -> str:
    """Which filesystem holds `path` (device and mount point), for the disk speed line."""
    try:
        out = subprocess.run(
            ["df", "--output=source,target,fstype", str(path)], capture_output=True, text=True, timeout=10
        )
        rows = out.stdout.strip().splitlines()
        return " ".join(rows[-1].split()) if len(rows) > 1 else "unknown"
    except OSError:
        return "unknown"


def disk_write_speed(directory: Path, mib: int) -> float:
    """MiB/s writing `mib` MiB in 1 MiB blocks to a new file in `directory`, fsync included."""
    path = directory / "disk-speed.bin"
    block = os.urandom(MIB)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        t0 = time.perf_counter()
        for _ in range(mib):
            os.write(fd, block)
        os.fsync(fd)
        return mib / (time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def measure_ceiling(s: Settings, p: Payloads, workdir: Path, quick: bool) -> dict[str, Any]:
    """The whole scenario against bench/s3/trivial.py (shorter phases, fewer listing keys): the client's
    own limits."""
    light = dataclasses.replace(
        s, duration=min(s.duration, 2.0 if quick else 5.0), list_keys=min(s.list_keys, 20_000)
    )
    outcome = run_server(LINEUP.trivial, 0, light, workdir, p, None, log=runner.log)
    if outcome.skipped:
        return {"error": outcome.skipped}
    out: dict[str, Any] = dict(outcome.metrics)
    if outcome.notes:
        out["notes"] = "; ".join(f"{k}: {v}" for k, v in outcome.notes.items())
    return out


def main(argv: list[str] | None = None) -> int:
    argv = runner.argv_or_default(argv)
    args = parse_args(argv)
    s = settings_from(args)
    run = runner.Invocation("s3 bench", "s3-", args, LINEUP, s)
    run.install()
    p = payloads(s, run.workdir)
    disk: list[float] = []

    def before_run(n: int) -> None:  # each run starts with the disk's speed, the large targets' yardstick
        disk.append(disk_write_speed(run.workdir, s.disk_mib))
        run.say(f"run {n}/{run.runs}: disk sequential write {disk[-1]:,.0f} MiB/s")

    try:
        ceiling = run.ceiling(lambda: measure_ceiling(s, p, run.workdir, args.quick), "client")
        outcomes = run.run_all(
            lambda srv, n: run_server(srv, n, s, run.workdir, p, disk[-1], log=runner.log), before_run
        )
    finally:
        p.source.unlink(missing_ok=True)
    raw = run.raw(ENTRY, argv, ceiling, outcomes)
    raw |= {"quick": args.quick, "disk_mibs": disk, "filesystem": data_filesystem(run.workdir)}
    text = report.section_markdown(raw, outcomes, run.names)
    summary = report.summary(outcomes, run.names)
    run.publish(raw, lambda path: sections.write(path, "s3", text), summary, "the S3 section of ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
