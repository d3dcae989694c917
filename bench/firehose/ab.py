"""Before/after for Firehose work: another checkout's Headwater against this tree's, run by run
interleaved (so both see the same machine load), on the firehose benchmark's scenarios.

    git archive <REF> | tar -x -C /tmp/base
    python -m bench.firehose.ab --baseline /tmp/base [--scenarios s3,parquet,partitioned] [--duration 10] [--runs 2]

Prints one JSON line per run (the fields of `bench.firehose` plus `server`: "before" or "after");
compare `server_cpu_us_per_record` first: it varies least with the shared machine's load.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench.common.servers import REPO, headwater
from bench.firehose.__main__ import one_run, parse_args


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.firehose.ab", description=__doc__.splitlines()[0])
    p.add_argument("--baseline", required=True, help="a checkout (e.g. from git archive) to compare against")
    p.add_argument("--scenarios", default="s3,parquet,partitioned")
    p.add_argument("--duration", default="10")
    p.add_argument("--runs", type=int, default=1)
    ab = p.parse_args()
    servers = {
        "before": headwater("durable", name="before", checkout=Path(ab.baseline)),
        "after": headwater("durable", name="after", checkout=REPO),
    }
    args = parse_args(["--duration", ab.duration])
    for _ in range(ab.runs):
        for scenario in ab.scenarios.split(","):
            for label, server in servers.items():
                with tempfile.TemporaryDirectory() as workdir:
                    result = one_run(server, scenario, args, Path(workdir))
                print(json.dumps({**result, "server": label}), flush=True)


if __name__ == "__main__":
    main()
