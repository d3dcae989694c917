"""One broker, one run: start it fresh, then the phases in order, each on its own (a phase that fails
is noted and the next one runs), then stop it.

Order: unloaded latency first (a broker that has handled no load yet), idle connections next (the RSS
baseline is the broker before any throughput phase grew its buffers), then fan-in and fan-out at QoS 0
and 1, then mTLS connects.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common.servers import HOST, Running, Server
from bench.iot import codec, flows, idle, latency, tls
from bench.iot.brokers import tls_port

Phase = Callable[[int, Running], dict[str, Any]]
PHASES = ("latency", "idle", "fan-in", "fan-out", "mtls")


def mqtt_ready(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(codec.connect("bench-probe"))
            head = sock.recv(4)
            sock.sendall(codec.DISCONNECT)
            return len(head) >= 2 and head[0] >> 4 == codec.CONNACK
    except OSError:
        return False


def _headwater_device(http_port: int, directory: Path) -> tuple[Path, Path, Path]:
    """Headwater's IoT root CA (what devices trust) and a device certificate from its own
    CreateKeysAndCertificate, with a policy allowing everything attached."""
    import boto3  # only Headwater's mTLS phase needs it

    from bench.common.wire import ACCESS_KEY, REGION, SECRET_KEY

    iot = boto3.client(
        "iot",
        endpoint_url=f"http://{HOST}:{http_port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    made = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_policy(
        policyName="bench-all",
        policyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}',
    )
    iot.attach_policy(policyName="bench-all", target=made["certificateArn"])
    directory.mkdir(parents=True, exist_ok=True)
    ca, cert, key = directory / "root-ca.pem", directory / "device.pem", directory / "device.key"
    with urllib.request.urlopen(f"http://{HOST}:{http_port}/_headwater/iot/root-ca", timeout=10) as answer:
        ca.write_bytes(answer.read())
    cert.write_text(made["certificatePem"])
    key.write_text(made["keyPair"]["PrivateKey"])
    return ca, cert, key


def _phases(args: argparse.Namespace, certs: tls.Certs) -> list[tuple[str, Phase]]:
    """(name, measure(port, running)) in order."""
    out: list[tuple[str, Phase]] = []

    def latency_at(qos: int) -> Phase:
        return lambda port, _: latency.measure(HOST, port, qos, args.latency_messages)

    def throughput(shape: str, qos: int) -> Phase:
        return lambda port, running: flows.throughput(
            HOST,
            port,
            shape,
            qos,
            clients=args.clients,
            procs=args.procs,
            duration=args.duration,
            warmup=args.warmup,
            drain=args.drain,
            broker_pid=running.proc.pid,
        )

    def held(port: int, running: Running) -> dict[str, Any]:
        return idle.idle_connections(HOST, port, args.connections, running.proc.pid, cap=args.connect_cap)

    out += [(f"latency q{qos}", latency_at(qos)) for qos in (0, 1)]
    out.append(("idle", held))
    out += [(f"{shape} q{qos}", throughput(shape, qos)) for shape in ("fan-in", "fan-out") for qos in (0, 1)]

    def mtls(port: int, running: Running) -> dict[str, Any]:
        mqtts = tls_port(running.data)
        if mqtts is None:
            raise RuntimeError("no mTLS port (this tree's serve has no flag for one)")
        files: tuple[Path | None, Path, Path] = (certs.ca, certs.client_cert, certs.client_key)
        if running.server.family == "headwater":
            files = _headwater_device(running.port, running.data / "device")
        return tls.connect_rate(
            HOST,
            mqtts,
            *files,
            duration=args.tls_seconds,
            procs=args.procs,
            conc=args.tls_concurrency,
            broker_pid=running.proc.pid,
        )

    out.append(("mtls", mtls))
    wanted = args.phases.split(",")
    return [(name, fn) for name, fn in out if name.split(" ")[0] in wanted]


def one_run(
    server: Server, args: argparse.Namespace, certs: tls.Certs, workdir: Path, mqtt: dict[str, int]
) -> dict[str, Any]:
    """{"server", "phases": {name: numbers or {"error": why}}, "rss_peak_mb", "load_before"}.

    Every phase gets a broker started afresh: one that is still working off a backlog (amqtt takes
    minutes to deliver what QoS 0 publishers sent it in seconds) would otherwise slow the next phase."""
    out: dict[str, Any] = {"server": server.name, "load_before": round(os.getloadavg()[0], 2), "phases": {}}
    peak = 0.0
    for name, measure in _phases(args, certs):
        running = Running(server, workdir / name.replace(" ", "-"))
        print(f"iot bench: {server.name} {name}...", flush=True)
        try:
            reason = running.wait_ready(120, lambda p: mqtt_ready(mqtt.get("port", p)))
            if reason:
                raise RuntimeError(f"did not start: {reason}")
            port = mqtt.get("port", running.port)
            if server.family == "headwater":  # the HTTP side answers; the MQTT listener too?
                deadline = time.monotonic() + 30
                while not mqtt_ready(port) and time.monotonic() < deadline:
                    time.sleep(0.1)
            out["phases"][name] = measure(port, running)
        except Exception as exc:  # noqa: BLE001 - a phase a broker fails is a result too
            out["phases"][name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            peak = max(peak, running.stop())
        print(f"iot bench: {server.name} {name}: {_short(out['phases'][name])}", flush=True)
    out["rss_peak_mb"] = round(peak, 1)
    return out


def _short(numbers: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={round(v, 3) if isinstance(v, float) else v}" for k, v in numbers.items() if k != "errors" or v
    )
