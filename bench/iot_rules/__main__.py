"""IoT rules benchmark: messages/s through a rule with a WHERE clause into Kinesis and into SQS
(publishers on MQTT, records counted where they arrive), shadow updates/s over 1,000 things, and the
latency from PUBLISH to the record being readable in Kinesis (p50/p99). Headwater alone: no peer runs
AWS IoT rules or shadows (LocalStack's IoT is in its paid edition; moto's has no broker).

    python -m bench.iot_rules [--quick] [--runs 3] [--duration 10] [--phases kinesis,sqs,latency,shadow]
                              [--clients 32] [--procs 2] [--shards 4] [--things 1000] [--no-write]

Every phase starts its own server (durable, limits off, plain MQTT in relaxed mode); runs are repeated
and the report takes medians. Writes the iot_rules section of bench/RESULTS.md, with the 1-minute load
average beside every figure; raw numbers under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import sections
from bench.common.runner import RESULTS, command, headwater_tree, machine
from bench.common.servers import PEERS, Running
from bench.iot.brokers import headwater_mqtt
from bench.iot.scenario import mqtt_ready
from bench.iot_rules import report, scenario


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.iot_rules", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke test: 1 run, 3 s phases, 300 latency samples")
    p.add_argument("--runs", type=int, help="runs of each phase (default 3; quick 1)")
    p.add_argument("--duration", type=float, help="measured seconds of a load phase (10; quick 3)")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before the measured window")
    p.add_argument(
        "--drain", type=float, default=60.0, help="at most this long for deliveries after the load"
    )
    p.add_argument("--clients", type=int, default=32, help="MQTT publishers (devices)")
    p.add_argument("--procs", type=int, default=2, help="processes the publishers are spread over")
    p.add_argument("--size", type=int, default=256, help="telemetry payload bytes")
    p.add_argument("--shards", type=int, default=4, help="shards of the rule's stream")
    p.add_argument("--things", type=int, default=1000)
    p.add_argument("--latency-messages", type=int, help="publishes of the latency phase (2000; quick 300)")
    p.add_argument("--latency-rate", type=float, default=100.0, help="their rate, per second")
    p.add_argument("--phases", default=",".join(scenario.PHASES))
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    p.add_argument("--output", default=str(RESULTS))
    args = p.parse_known_args(argv)[0]  # run.sh hands every benchmark the same shared flags
    args.runs = args.runs or (1 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.latency_messages = args.latency_messages or (300 if args.quick else 2000)
    return args


def one_phase(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    mqtt: dict[str, int] = {}
    running = Running(headwater_mqtt(mqtt), workdir / name)
    try:
        reason = running.wait_ready(120, lambda _: False)
        if reason is None and not _wait(lambda: mqtt_ready(mqtt["port"]), 30):
            reason = "the MQTT port never answered"
        if reason:
            raise RuntimeError(reason)
        result = scenario.MEASURES[name](args, running.port, mqtt["port"], running.proc.pid)
        result["rss_peak_mb"] = round(running.memory.stop(), 1)
        return result
    finally:
        running.stop()


def _wait(ready: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.1)
    return False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    wanted = [p for p in args.phases.split(",") if p]
    unknown = set(wanted) - set(scenario.PHASES)
    if unknown:
        print(f"iot_rules bench: unknown phases {sorted(unknown)}", file=sys.stderr)
        return 2
    PEERS.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in wanted}
    for n in range(args.runs):
        for name in wanted:
            with tempfile.TemporaryDirectory(prefix="iot-rules-bench-", dir=PEERS) as tmp:
                try:
                    result = one_phase(name, args, Path(tmp))
                except Exception as exc:  # a phase that fails is reported; the next one runs
                    result = {"error": repr(exc)[:300]}
            runs[name].append(result)
            print(f"iot_rules bench {name} run {n + 1}/{args.runs}: {json.dumps(result)}", flush=True)
    raw = {
        "command": command("python -m bench.iot_rules", argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "machine": machine(),
        "headwater": headwater_tree(),
        "args": vars(args),
        "runs": runs,
    }
    out = PEERS / "runs"
    out.mkdir(exist_ok=True)
    path = out / f"iot_rules-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(raw, indent=2))
    text = report.section(raw)
    print(text)
    if not args.no_write:
        sections.write(Path(args.output), "iot_rules", text)
    print(f"iot_rules bench: raw numbers in {path}")
    failed = [name for name, results in runs.items() if any("error" in r for r in results)]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
