"""IoT benchmark: Headwater's MQTT broker against Mosquitto (Debian's package) and amqtt (PyPI) in one
run: QoS 0 and 1 fan-in (8 publishers -> 1 subscriber) and fan-out (1 -> 8) delivered msg/s with 256-byte
payloads, loss and per-publisher order, unloaded p50/p99 latency, the RSS of 10,000 idle connections
(and how long they took to connect), and mTLS connects/s.

    python -m bench.iot [--quick] [--runs 3] [--duration 10] [--servers mosquitto,amqtt,headwater]
                        [--phases latency,idle,fan-in,fan-out,mtls] [--connections 10000]
                        [--no-ceiling] [--no-install] [--no-write] [--output bench/RESULTS.md]

Brokers are interleaved run by run (each run starts each broker afresh); the report takes medians and
ratios from the same invocation, with the 1-minute load average beside each phase. Writes the iot
section of bench/RESULTS.md; raw numbers under bench/.peers/runs/iot-<time>/results.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import sys
from pathlib import Path
from typing import Any

from bench.common import sections
from bench.common.runner import RESULTS, command, headwater_tree, machine, serving
from bench.common.servers import HOST, PEERS
from bench.iot import brokers, flows, scenario, tls
from bench.iot.report import section, summary

SERVERS = ("mosquitto", "amqtt", "headwater")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.iot", description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick", action="store_true", help="smoke test: 1 run, 3 s phases, 2,000 idle connections"
    )
    p.add_argument("--runs", type=int, help="runs per broker (default 3; quick 1)")
    p.add_argument(
        "--duration", type=float, help="measured seconds of each fan-in/fan-out phase (10; quick 3)"
    )
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before the measured window")
    p.add_argument("--drain", type=float, default=30.0, help="at most this long after the load for the rest")
    p.add_argument("--clients", type=int, default=8, help="publishers of fan-in, subscribers of fan-out")
    p.add_argument("--procs", type=int, default=2, help="processes the many side of a phase is spread over")
    p.add_argument("--connections", type=int, help="idle connections (10000; quick 2000)")
    p.add_argument("--connect-cap", type=float, default=180.0, help="seconds allowed to open them")
    p.add_argument("--latency-messages", type=int, help="round trips per latency phase (2000; quick 300)")
    p.add_argument("--tls-seconds", type=float, help="seconds of mTLS connects (10; quick 3)")
    p.add_argument("--tls-concurrency", type=int, default=16, help="connect loops per mTLS process")
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--skip", default="")
    p.add_argument("--phases", default=",".join(scenario.PHASES))
    p.add_argument("--no-ceiling", action="store_true", help="skip the client ceiling")
    p.add_argument("--no-install", action="store_true", help="do not fetch Mosquitto")
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    p.add_argument("--output", default=str(RESULTS))
    args = p.parse_known_args(argv)[0]  # run.sh hands every benchmark the same shared flags
    quick = args.quick
    args.runs = args.runs or (1 if quick else 3)
    args.duration = args.duration or (3.0 if quick else 10.0)
    args.connections = args.connections or (2000 if quick else 10_000)
    args.latency_messages = args.latency_messages or (300 if quick else 2000)
    args.tls_seconds = args.tls_seconds or (3.0 if quick else 10.0)
    return args


def ceiling(args: argparse.Namespace, certs: tls.Certs, workdir: Path) -> dict[str, Any]:
    """The same clients against bench.iot.trivial (no broker work): what they can send and read."""
    found: dict[str, Any] = {}
    with serving(brokers.trivial(certs), workdir, scenario.mqtt_ready) as running:
        port, kw = (
            running.port,
            {"procs": args.procs, "duration": args.duration, "warmup": args.warmup, "idle": 1.0},
        )
        for qos in (0, 1):
            found[f"publish_q{qos}"] = flows.throughput(HOST, port, "sink", qos, clients=args.clients, **kw)
            found[f"receive_q{qos}"] = flows.throughput(HOST, port, "flood", qos, clients=1, **kw)
        found["receive_q0_fanout"] = flows.throughput(HOST, port, "flood", 0, clients=args.clients, **kw)
        mqtts = brokers.tls_port(running.data)
        assert mqtts is not None
        found["mtls"] = tls.connect_rate(
            HOST,
            mqtts,
            certs.ca,
            certs.client_cert,
            certs.client_key,
            duration=args.tls_seconds,
            procs=args.procs,
            conc=args.tls_concurrency,
        )
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # 10,000 connections need as many descriptors in the brokers, which inherit this process's limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.connections + 1000:
        print(
            f"iot bench: the descriptor limit ({hard}) is below {args.connections:,} connections", flush=True
        )
    started = datetime.datetime.now(datetime.UTC)
    workdir = PEERS / "runs" / ("iot-" + started.strftime("%Y%m%dT%H%M%SZ"))
    workdir.mkdir(parents=True, exist_ok=True)
    certs = tls.make_certs(workdir / "certs")
    names = [n for n in args.servers.split(",") if n in SERVERS and n not in args.skip.split(",")]
    skipped: dict[str, str] = {}
    lineup: dict[str, Any] = {}
    mqtt_ports: dict[str, dict[str, int]] = {n: {} for n in names}
    for name in names:
        if name == "mosquitto":
            reason = (
                None
                if not args.no_install
                else ("not installed (--no-install)" if not brokers.MOSQUITTO_BIN.exists() else None)
            )
            reason = reason or brokers.install_mosquitto()
            if reason:
                skipped[name] = reason
            else:
                lineup[name] = brokers.mosquitto(certs)
        elif name == "amqtt":
            if not brokers.amqtt_version() or not brokers.AMQTT_BIN.exists():
                skipped[name] = "amqtt is not installed in the project venv (pip install -e '.[bench]')"
            else:
                lineup[name] = brokers.amqtt(certs)
        elif name == "headwater":
            if reason := brokers.headwater_missing():
                skipped[name] = reason
            else:
                lineup[name] = brokers.headwater_mqtt(mqtt_ports[name])
    for name, why in skipped.items():
        print(f"iot bench: {name} skipped: {why}", flush=True)
    print(f"iot bench: {list(lineup)} x {args.runs} runs; work dir {workdir}", flush=True)

    found_ceiling: dict[str, Any] = {}
    if not args.no_ceiling:
        print("iot bench: client ceiling against bench.iot.trivial...", flush=True)
        try:
            found_ceiling = ceiling(args, certs, workdir)
        except Exception as exc:  # noqa: BLE001 - the reason goes into the results
            found_ceiling = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"iot bench: ceiling {json.dumps(found_ceiling, default=str)[:600]}", flush=True)

    results: list[dict[str, Any]] = []
    for run in range(1, args.runs + 1):
        for name, server in lineup.items():
            print(f"iot bench: {name} run {run}/{args.runs}", flush=True)
            outcome = scenario.one_run(
                server, args, certs, workdir / f"{name}-{run}", mqtt_ports.get(name, {})
            )
            outcome["run"] = run
            results.append(outcome)
    versions = {
        "mosquitto": brokers.mosquitto_version() if "mosquitto" in lineup else "",
        "amqtt": brokers.amqtt_version(),
    }
    raw = {
        "command": command("python -m bench.iot", argv),
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "headwater_tree": headwater_tree(),
        "peer_versions": {k: v for k, v in versions.items() if v and k in lineup},
        "args": vars(args),
        "ceiling": found_ceiling,
        "skipped": skipped,
        "results": results,
    }
    saved = workdir / "results.json"
    saved.write_text(json.dumps(raw, indent=2, default=str))
    text = section(raw)
    if not args.no_write:
        sections.write(Path(args.output), "iot", text)
    print(summary(raw), flush=True)
    print(
        f"iot bench: raw numbers in {saved}"
        + ("" if args.no_write else f"; section written to {args.output}")
    )
    # failure: a broker that did not run, or Headwater losing or reordering QoS 1 messages
    ours = [
        n for r in results if r["server"] == "headwater" for p, n in r["phases"].items() if p.endswith("q1")
    ]
    broken = [n for n in ours if n.get("lost") or n.get("out_of_order")]
    return 0 if results and all("error" not in r for r in results) and not broken else 1


if __name__ == "__main__":
    raise SystemExit(main())
