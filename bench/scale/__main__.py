"""Scale benchmark: what Headwater costs in memory and start-up with a lot stored, and whether its rates hold.

    python -m bench.scale [--full] [--only-services startup,sqs,s3,kinesis] [--data-root DIR]

Each service module (`bench/scale/<service>.py`) seeds a server through the public API, restarts it, and
reports rows: stored volume, server RSS, restart-to-healthy time and the rates that must not fall with the
volume. The default sizes finish in minutes; `--full` uses issue 10's sizes (10 M SQS messages, 1 M S3
objects, 10 GB in Kinesis). Writes the `scale` section of bench/RESULTS.md; the rest of the file stays.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import runner, sections
from bench.scale.rows import table

SERVICES = ("startup", "sqs", "s3", "kinesis")  # startup: an empty server, the floor of every restart
RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
ENTRY = "python -m bench.scale"


def document(rows: Sequence[dict[str, Any]], full: bool, argv: list[str], seconds: float) -> str:
    info = runner.machine()
    return "\n".join(
        [
            "## Scale: memory and start-up with a lot stored",
            "",
            f"Command: `{runner.command('make bench (scale part): ' + ENTRY, argv)}` "
            f"({'full sizes' if full else 'default sizes; --full for issue 10 sizes'}), "
            f"{time.strftime('%Y-%m-%d')}, Headwater {runner.headwater_tree()}, "
            f"{info['nproc']} cores ({info['cpu']}), {info['ram']}, took {seconds / 60:.1f} min.",
            "",
            "RSS is the server's after the restart and the rate phase; restart is stop -> healthy.",
            "",
            table(rows),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args_list = runner.argv_or_default(argv)
    p = argparse.ArgumentParser(prog=ENTRY, description=__doc__)
    p.add_argument("--full", action="store_true", help="issue 10's sizes (long: about an hour)")
    p.add_argument("--only-services", dest="only", default=",".join(SERVICES), help="comma-separated")
    p.add_argument("--data-root", type=Path, default=None, help="where the servers' data goes")
    args, _ = p.parse_known_args(args_list)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        p.error(f"unknown service(s): {', '.join(unknown)}")
    root = args.data_root or Path(tempfile.mkdtemp(prefix="headwater-scale-"))
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    status = 0
    try:
        for service in chosen:
            module = importlib.import_module(f"bench.scale.{service}")
            work = root / service
            work.mkdir(parents=True, exist_ok=True)
            try:
                rows.extend(module.measure(args.full, work))
            except Exception as exc:  # one service failing must not lose the others' rows
                runner.log(f"scale: {service} failed: {exc!r}")
                status = 1
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if args.data_root is None:
            shutil.rmtree(root, ignore_errors=True)
    print(table(rows))
    if rows:
        sections.write(RESULTS, "scale", document(rows, args.full, args_list, time.monotonic() - started))
    return status


if __name__ == "__main__":
    sys.exit(main())
