"""The S3 benchmark's large-object phase alone: PUT/GET of 64 MiB objects over 1 and 4 streams.

    python -m bench.s3.large [--runs 5] [--servers headwater-durable,localstack] [--baseline DIR]

Runs `bench.s3.scenario`'s "large" phase (and nothing else) against each server, interleaved run by run
so that drift on the machine hits all alike, and prints each run's figures and the medians with the
ratio of every Headwater server to LocalStack from the same invocation. `--baseline DIR` adds
`headwater-baseline`: Headwater from another checkout (e.g. `git archive <commit> | tar -x -C DIR`),
for before/after figures in one sitting. Writes nothing to RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench.common import runner
from bench.common.peers import install, localstack
from bench.common.servers import Server, headwater
from bench.common.wire import HEADER_SIZE
from bench.s3.objects import MIB
from bench.s3.scenario import Payloads, Settings, run_server

METRICS = ("large_put_mibs", "large4_put_mibs", "large_get_mibs", "large4_get_mibs")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser("python -m bench.s3.large", description=__doc__)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--servers", default="headwater-durable,localstack")
    p.add_argument("--baseline", type=Path, help="checkout of the Headwater to compare with")
    p.add_argument("--large-mib", type=int, default=64)
    p.add_argument("--large-count", type=int, default=8)
    p.add_argument("--per-stream", type=int, default=4)
    p.add_argument("--streams", type=int, default=4)
    args = p.parse_args(argv)
    known: dict[str, Server] = {
        "headwater-durable": headwater("durable"),
        "headwater-fast": headwater("fast"),
        "localstack": localstack("s3"),
    }
    if args.baseline:
        known["headwater-baseline"] = headwater("durable", "headwater-baseline", args.baseline.resolve())
    names = [n for n in args.servers.split(",") if n] + (["headwater-baseline"] if args.baseline else [])
    if "localstack" in names and (failed := install({"localstack"}, services=("s3",))):
        runner.log(f"localstack skipped: {failed}")
        names.remove("localstack")
    s = Settings(
        large_mib=args.large_mib,
        large_count=args.large_count,
        per_stream=args.per_stream,
        streams=args.streams,
    )
    with tempfile.TemporaryDirectory(prefix="s3-large-", dir=os.environ.get("TMPDIR")) as tmp:
        workdir = Path(tmp)
        payloads = Payloads(b"", os.urandom(s.large_mib * MIB - HEADER_SIZE), workdir / "unused")
        figures: dict[str, dict[str, list[float]]] = {n: {m: [] for m in METRICS} for n in names}
        for n in range(1, args.runs + 1):
            for name in names:
                out = run_server(known[name], n, s, workdir, payloads, None, log=runner.log, only={"large"})
                row = {m: out.metrics.get(m) for m in METRICS}
                for m, value in row.items():
                    if value is not None:
                        figures[name][m].append(value)
                problems = out.skipped or "; ".join(out.notes.values())
                cells = "  ".join(f"{m}={v:.0f}" if v is not None else f"{m}=-" for m, v in row.items())
                runner.log(f"run {n} {name}: {cells} {problems}")
    medians = {name: {m: statistics.median(v) for m, v in by.items() if v} for name, by in figures.items()}
    print("\nmedians (MiB/s) and ratio to localstack:")
    peer = medians.get("localstack", {})
    for name, by in medians.items():
        cells = []
        for m in METRICS:
            if m in by:
                ratio = f" ({by[m] / peer[m]:.2f}x)" if m in peer and name != "localstack" else ""
                cells.append(f"{m}={by[m]:.0f}{ratio}")
        print(f"  {name}: " + "  ".join(cells))
        print("    runs: " + "  ".join(f"{m}={[round(v) for v in figures[name][m]]}" for m in METRICS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
