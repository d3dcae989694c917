#!/usr/bin/env bash
# The benchmarks (`make bench`): Kinesis (Headwater against kinesalite, kinesis-local, moto), then SQS and S3
# (Headwater against moto and LocalStack). Runs from the repository root with the project's venv.
#
#   bash bench/run.sh [ARGS]                 all three; ARGS go to each (--quick, --runs, --duration,
#                                            --no-install, --no-ceiling, --keep-data are understood by all)
#   bash bench/run.sh --only kinesis [ARGS]  bench/kinesis_bench.py alone (e.g. --servers headwater-durable,moto)
#   bash bench/run.sh --only sqs [ARGS]      bench/sqs_bench.py alone (e.g. --servers headwater-durable,localstack)
#   bash bench/run.sh --only s3 [ARGS]       bench/s3_bench.py alone (e.g. --servers headwater-durable,moto)
#
# Each writes its own part of bench/RESULTS.md: the Kinesis run rewrites the file, so the SQS and S3 sections
# (between their markers) are saved first and put back afterwards. See bench/README.md.
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
    --only) only="${2:-}"; shift 2 || { echo "bench: --only needs kinesis, sqs or s3" >&2; exit 2; } ;;
    --only=*) only="${1#--only=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$only" in
  "" | kinesis | sqs | s3) ;;
  *) echo "bench: --only takes kinesis, sqs or s3, not '$only'" >&2; exit 2 ;;
esac
entry="bash bench/run.sh${only:+ --only $only}"

results=bench/RESULTS.md
for arg in "${args[@]}"; do
  if [[ "$arg" == --output* ]]; then
    results=""  # a custom output file: nothing to protect in bench/RESULTS.md
  fi
done

run_kinesis() {
  local sqs s3 rc
  sqs="$(mktemp)"
  s3="$(mktemp)"
  if [[ -n "$results" ]]; then
    .venv/bin/python -m bench.sqs_section extract "$results" >"$sqs"
    .venv/bin/python -m bench.s3_section extract "$results" >"$s3"
  fi
  HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m bench.kinesis_bench "${args[@]}"
  rc=$?
  if [[ -n "$results" ]]; then
    .venv/bin/python -m bench.sqs_section put "$results" <"$sqs"
    .venv/bin/python -m bench.s3_section put "$results" <"$s3"
  fi
  rm -f "$sqs" "$s3"
  return "$rc"
}

run_sqs() {
  HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m bench.sqs_bench "${args[@]}"
}

run_s3() {
  HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m bench.s3_bench "${args[@]}"
}

status=0
if [[ -z "$only" || "$only" == kinesis ]]; then
  run_kinesis || status=$?
fi
if [[ -z "$only" || "$only" == sqs ]]; then
  run_sqs || status=$?
fi
if [[ -z "$only" || "$only" == s3 ]]; then
  run_s3 || status=$?
fi
exit "$status"
