#!/usr/bin/env bash
# The benchmarks (`make bench`): Kinesis (Headwater against kinesalite, kinesis-local, moto), then SQS and S3
# (Headwater against moto and LocalStack), then scale (Headwater alone with a lot
# stored). Runs from the repository root with the project's venv.
#
#   bash bench/run.sh [ARGS]                 all three; ARGS go to each (--quick, --runs, --duration,
#                                            --no-install, --no-ceiling, --keep-data are understood by all)
#   bash bench/run.sh --only kinesis [ARGS]  python -m bench.kinesis alone (e.g. --servers headwater-durable,moto)
#   bash bench/run.sh --only sqs [ARGS]      python -m bench.sqs alone (e.g. --servers headwater-durable,localstack)
#   bash bench/run.sh --only s3 [ARGS]       python -m bench.s3 alone (e.g. --servers headwater-durable,moto)
#   bash bench/run.sh --only functions [ARGS]  python -m bench.functions alone: warm Invoke, cold starts
#                                            (Headwater against ministack)
#   bash bench/run.sh --only firehose [ARGS]  python -m bench.firehose alone: PutRecordBatch (500 x 1 KiB,
#                                            8 clients) acknowledged and delivered to S3, lag, CPU, RSS,
#                                            plain and partitioned (Headwater against ministack, LocalStack)
#   bash bench/run.sh --only iot [ARGS]      python -m bench.iot alone: MQTT fan-in/fan-out QoS 0/1, latency,
#                                            10,000 idle connections' RSS, mTLS connects/s (Headwater against
#                                            Mosquitto, the Debian package fetched without root, and amqtt)
#   bash bench/run.sh --only iot_rules [ARGS]  python -m bench.iot_rules alone: MQTT messages/s through a rule
#                                            (WHERE) into Kinesis and SQS, shadow updates/s over 1,000 things,
#                                            publish-to-Kinesis p50/p99 (Headwater alone: no peer has them)
#   bash bench/run.sh --only scale [ARGS]    python -m bench.scale alone: RSS, restart time and rates with a lot
#                                            stored (--full: 10 M SQS messages, 1 M S3 objects, 10 GB Kinesis)
#   bash bench/run.sh --compare REF [ARGS]   python -m bench.compare: this tree's Headwater against REF's
#                                            (Kinesis PutRecords, SQS SendMessageBatch, S3 1 KiB PUT;
#                                            ARGS: --runs, --quick, --duration, --keep-data, --output)
#
# Each writes its own part of bench/RESULTS.md: the Kinesis run rewrites the head of the file and keeps the
# marked SQS, S3 and compare sections after it (bench/common/sections.py). See bench/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .venv/bin/python ]]; then
  echo "bench: .venv/bin/python not found; create the project venv first" >&2
  exit 1
fi

only=""
compare=""
args=()
while (($#)); do
  case "$1" in
    --only) only="${2:-}"; shift 2 || { echo "bench: --only needs kinesis, sqs, s3, functions, firehose, iot, iot_rules or scale" >&2; exit 2; } ;;
    --only=*) only="${1#--only=}"; shift ;;
    --compare) compare="${2:-}"; shift 2 || { echo "bench: --compare needs a commit" >&2; exit 2; } ;;
    --compare=*) compare="${1#--compare=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$only" in
  "" | kinesis | sqs | s3 | functions | firehose | iot | iot_rules | scale) ;;
  *) echo "bench: --only takes kinesis, sqs, s3, functions, firehose, iot, iot_rules or scale, not '$only'" >&2; exit 2 ;;
esac

if [[ -n "$compare" ]]; then
  if [[ -n "$only" ]]; then
    echo "bench: --compare measures its own three workloads; it does not take --only" >&2
    exit 2
  fi
  HEADWATER_BENCH_ENTRY="bash bench/run.sh --compare" \
    exec .venv/bin/python -m bench.compare "$compare" "${args[@]}"
fi

entry="bash bench/run.sh${only:+ --only $only}"
status=0
for service in kinesis sqs s3 functions firehose iot iot_rules scale; do
  if [[ -z "$only" || "$only" == "$service" ]]; then
    HEADWATER_BENCH_ENTRY="$entry" .venv/bin/python -m "bench.$service" "${args[@]}" || status=$?
  fi
done
exit "$status"
