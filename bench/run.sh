#!/usr/bin/env bash
# The Kinesis benchmark (`make bench`): Headwater against kinesalite, kinesis-local and moto.
# Runs from the repository root with the project's venv; extra arguments go to bench/kinesis_bench.py
# (e.g. --quick, --runs 1, --servers headwater-durable,kinesalite-memory). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
  echo "bench: .venv/bin/python not found; create the project venv first" >&2
  exit 1
fi
export HEADWATER_BENCH_ENTRY="bash bench/run.sh"
exec .venv/bin/python -m bench.kinesis_bench "$@"
