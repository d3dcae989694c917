"""S3 benchmark: Headwater (durable, fast) against moto and LocalStack's S3, same workload, same client.

    python -m bench.s3_bench [--quick] [--runs 3] [--duration 15] [--servers a,b] [--skip a,b]

Installs the peers into bench/.peers/ (skipping any that fail, with the reason), makes the payloads (object
tails, the multipart source file), measures the client's own ceiling against a server that keeps objects in
memory, then runs every server `--runs` times (interleaved, so drift hits all alike; each run starts with a
measurement of the disk's sequential write speed) and writes the S3 section of bench/RESULTS.md (between
markers; the rest of the file is left alone) plus the raw numbers as JSON under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shlex
import sys
import time
from pathlib import Path

from bench import s3_peers, s3_report, s3_section
from bench.kinesis_bench import headwater_tree, machine
from bench.peers import PEERS
from bench.s3_multipart import make_source
from bench.s3_objects import MIB
from bench.s3_scenario import Payloads, Settings, run_server
from bench.scenario import Outcome
from bench.wire import HEADER_SIZE

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
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [s.name for s in s3_peers.ALL_SERVERS]
    p.add_argument("--quick", action="store_true", help="smoke test: small volumes, 1 run (~3 min)")
    p.add_argument("--runs", type=int, help="runs per server (default 3; quick 1)")
    p.add_argument("--servers", default=",".join(names), help=f"comma list from {names}")
    p.add_argument("--skip", default="", help="comma list of servers to leave out")
    p.add_argument("--clients", type=int, default=8, help="client threads for small objects and the load")
    p.add_argument("--streams", type=int, default=4, help="streams in the multi-stream large measurement")
    p.add_argument("--transfer-threads", type=int, default=8, help="boto3 TransferConfig max_concurrency")
    for key, full in FULL.items():
        flag = "--" + key.replace("_", "-")
        p.add_argument(flag, type=type(full), help=f"{HELP[key]} (default {full:g}; quick {QUICK[key]:g})")
    p.add_argument("--no-ceiling", action="store_true", help="skip the client ceiling measurement")
    p.add_argument("--no-install", action="store_true", help="use bench/.peers as it is")
    p.add_argument("--keep-data", action="store_true", help="keep the servers' data directories")
    p.add_argument("--output", default=str(Path(__file__).parent / "RESULTS.md"))
    args = p.parse_args(argv)
    unknown = {n for n in (args.servers + "," + args.skip).split(",") if n} - set(names)
    if unknown:
        p.error(f"unknown servers {sorted(unknown)}; known: {names}")
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


def measure_ceiling(s: Settings, p: Payloads, workdir: Path, quick: bool) -> dict[str, float | str]:
    """The whole scenario against s3_trivial (shorter phases, fewer listing keys): the client's limits."""
    light = dataclasses.replace(
        s, duration=min(s.duration, 2.0 if quick else 5.0), list_keys=min(s.list_keys, 20_000)
    )
    outcome = run_server(
        s3_peers.TRIVIAL, 0, light, p, workdir, None, log=lambda text: print(text, flush=True)
    )
    if outcome.skipped:
        return {"error": outcome.skipped}
    out: dict[str, float | str] = dict(outcome.metrics)
    if outcome.notes:
        out["notes"] = "; ".join(f"{k}: {v}" for k, v in outcome.notes.items())
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    s = settings_from(args)
    runs = args.runs or (1 if args.quick else 3)
    wanted = [n for n in args.servers.split(",") if n and n not in set(args.skip.split(","))]
    servers = [srv for srv in s3_peers.ALL_SERVERS if srv.name in wanted]
    started = datetime.datetime.now(datetime.UTC)
    workdir = PEERS / "runs" / ("s3-" + started.strftime("%Y%m%dT%H%M%SZ"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"s3 bench: {len(servers)} servers x {runs} runs; settings {s}; work dir {workdir}", flush=True)

    skipped: dict[str, str] = {}
    if not args.no_install:
        failed = s3_peers.install({srv.family for srv in servers})
        for srv in servers:
            if srv.family in failed:
                skipped[srv.name] = f"install failed: {failed[srv.family]}"

    source = workdir / "multipart-source.bin"
    make_source(source, s.multipart_mib * MIB)
    payloads = Payloads(
        small_tail=os.urandom(s.small_size - HEADER_SIZE),
        large_tail=os.urandom(s.large_mib * MIB - HEADER_SIZE),
        source=source,
    )

    ceiling: dict[str, float | str] = {}
    if not args.no_ceiling:
        print("s3 bench: client ceiling...", flush=True)
        ceiling = measure_ceiling(s, payloads, workdir, args.quick)
        print(f"s3 bench: ceiling {ceiling}", flush=True)

    outcomes: list[Outcome] = []
    disk: list[float] = []
    try:
        for run in range(1, runs + 1):
            disk.append(disk_write_speed(workdir, s.disk_mib))
            print(f"s3 bench: run {run}/{runs}: disk sequential write {disk[-1]:,.0f} MiB/s", flush=True)
            for srv in servers:
                if srv.name in skipped:
                    continue
                t0 = time.perf_counter()
                print(f"s3 bench: {srv.name} run {run}/{runs}", flush=True)
                outcome = run_server(
                    srv, run, s, payloads, workdir, disk[-1], log=lambda text: print(text, flush=True)
                )
                if outcome.skipped:
                    skipped[srv.name] = outcome.skipped
                    print(f"s3 bench: {srv.name} skipped: {outcome.skipped}", flush=True)
                    continue
                outcomes.append(outcome)
                shown = {k: round(v, 2) for k, v in outcome.metrics.items()}
                took = time.perf_counter() - t0
                print(f"s3 bench: {srv.name} run {run} ({took:.0f} s): {shown} {outcome.notes}", flush=True)
    finally:
        source.unlink(missing_ok=True)

    entry = os.environ.get("HEADWATER_BENCH_ENTRY", "python -m bench.s3_bench")
    raw = {
        "command": " ".join([entry, shlex.join(argv)]).strip(),
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": dataclasses.asdict(s),
        "quick": args.quick,
        "runs": runs,
        "disk_mibs": disk,
        "filesystem": s3_peers.data_filesystem(workdir),
        "ceiling": ceiling,
        "skipped": skipped,
        "headwater_tree": headwater_tree(),
        "peer_versions": s3_peers.versions(),
        "outcomes": [dataclasses.asdict(o) for o in outcomes],
    }
    (workdir / "results.json").write_text(json.dumps(raw, indent=2))
    names = [srv.name for srv in servers]
    s3_section.write(Path(args.output), s3_report.section_markdown(raw, outcomes, names))
    print(s3_report.summary(outcomes, names), flush=True)
    print(f"s3 bench: wrote the S3 section of {args.output} and {workdir / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
