#!/usr/bin/env bash
# The benchmarks (`make bench`): Kinesis (Headwater against kinesalite, kinesis-local, moto), then SQS
# (Headwater against moto and LocalStack). Runs from the repository root with the project's venv.
#
#   bash bench/run.sh [ARGS]                 both; ARGS go to both (--quick, --runs, --duration, --no-install,
#                                            --no-ceiling, --keep-data are understood by both)
#   bash bench/run.sh --only kinesis [ARGS]  bench/kinesis_bench.py alone (e.g. --servers headwater-durable,moto)
#   bash bench/run.sh --only sqs [ARGS]      bench/sqs_bench.py alone (e.g. --servers headwater-durable,localstack)
#
# Each writes its own part of bench/RESULTS.md: the Kinesis run rewrites the file, so the SQS section (between
# its markers) is saved first and put back afterwards. See bench/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
  echo "bench: .venv/bin/python not found; create the project venv first" >&2
  exit 1
fi

only=""
args=()
while (($#)); do
  case "$1" in
    --only) only="${2:-}"; shift 2 || { echo "bench: --only needs kinesis or sqs" >&2; exit 2; } ;;
    --only=*) only="${1#--only=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$only" in
  "" | kinesis | sqs) ;;
  *) echo "bench: --only takes kinesis or sqs, not '$only'" >&2; exit 2 ;;
esac
entry="bash bench/run.sh${only:+ --only $only}"

results=bench/RESULTS.md
for arg in "${args[@]}"; do
  if [[ "$arg" == --output* ]]; then
    results=""  # a custom output file: nothing to protect in bench/RESULTS.md
  fi
done

run_kinesis() {
  local saved rc
  saved="$(mktemp)"
  if [[ -n "$results" ]]; then
    .venv/bin/python -m bench.sqs_section extract "$results" >"$saved"
  fi
  HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m bench.kinesis_bench "${args[@]}"
  rc=$?
  if [[ -n "$results" ]]; then
    .venv/bin/python -m bench.sqs_section put "$results" <"$saved"
  fi
  rm -f "$saved"
  return "$rc"
}

run_sqs() {
  HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m bench.sqs_bench "${args[@]}"
}

status=0
if [[ -z "$only" || "$only" == kinesis ]]; then
  run_kinesis || status=$?
fi
if [[ -z "$only" || "$only" == sqs ]]; then
  run_sqs || status=$?
fi
exit "$status"
