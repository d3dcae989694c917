"""The iot_rules section of bench/RESULTS.md: medians over runs, the load average beside each figure,
the targets of issue 15 checked."""

from __future__ import annotations

import statistics
from typing import Any

TARGETS = {  # issue 15, on the 2-core machine
    "kinesis": ("rule evaluations/s into Kinesis", 20_000),
    "shadow": ("shadow updates/s (1,000 things)", 5_000),
    "latency": ("publish-to-Kinesis p50 ms", 5.0),
}


def _median(results: list[dict[str, Any]], *path: str) -> float | None:
    values = []
    for r in results:
        value: Any = r
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(value)
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _loads(results: list[dict[str, Any]]) -> str:
    spans = [f"{r['load_start']}-{r['load_end']}" for r in results if "load_start" in r]
    spans += [str(r["load"]) for r in results if "load" in r]
    return ", ".join(spans) or "-"


def _errors(results: list[dict[str, Any]]) -> str:
    found = [r["error"] for r in results if "error" in r]
    return f" (failed: {found[0][:160]})" if found else ""


def section(raw: dict[str, Any]) -> str:
    m, a, runs = raw["machine"], raw["args"], raw["runs"]
    lines = [
        "# IoT rules and shadow benchmark results",
        "",
        f"- Command: `{raw['command']}`",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; Python {m['python']}",
        f"- Headwater: {raw['headwater']}",
        "- Peers: none. No other emulator runs AWS IoT rules or Device Shadows (LocalStack's IoT is in its"
        " paid edition; moto models the control plane only, with no broker), so these are Headwater's own"
        " figures against issue 15's targets.",
        "- Load: the 1-minute load average at the start and end of each run's load (about 0 on an idle"
        " machine; above 2, other work shared the 2 CPUs with the server and the clients)",
        "",
        "## Method",
        "",
        f"- Each phase runs {a['runs']} time(s), each on a fresh `headwater serve --durability durable --limits"
        " off --mqtt-port ... --iot-mode relaxed`; medians below.",
        f"- Rules: {a['clients']} MQTT 3.1.1 devices in {a['procs']} processes publish {a['size']}-byte JSON"
        " readings at QoS 1 (at most 100 unacknowledged each, the server's PUBACK is the flow control) for"
        f" {a['warmup']:g} s of warm-up and {a['duration']:g} s measured; the rule is `SELECT * FROM"
        " 'bench/+/telemetry' WHERE temperature > 20` (every reading passes, so evaluations = deliveries)."
        f" Kinesis: a {a['shards']}-shard stream, partition key `${{topic(2)}}`, read back to back with"
        " GetRecords from every shard: a record counts when it is readable. SQS: one queue, counted with"
        " ApproximateNumberOfMessages every 100 ms. Delivered during load = what arrived inside the measured"
        " window; until drained = everything that arrived / (last arrival - first publish), what the server"
        " sustains when deliveries fall behind (the target is checked on it); acknowledged = QoS 1 PUBACKs.",
        f"- Latency: one device publishes at {a['latency_rate']:g}/s ({a['latency_messages']} messages, QoS 1)"
        " to a rule into a one-shard stream; a reader in the same process polls GetRecords back to back:"
        " latency = when GetRecords returned the record - when the PUBLISH was written.",
        f"- Shadow: {a['things']} things registered; {a['clients']} connections update their share of the"
        " classic shadows round robin (`$aws/things/<thing>/shadow/update`, reported state, QoS 1, at most 10"
        " unacknowledged each: AWS refuses an 11th request in flight with 429); counted:"
        " PUBACKs and the `update/accepted` documents one QoS 0 subscriber receives.",
        "",
        "## Results",
        "",
        "| phase | delivered /s until drained | delivered /s during load | acknowledged /s | lag after load s |"
        " server CPU us/msg | RSS peak MB | load avg | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, sink in (("kinesis", "kinesis"), ("sqs", "sqs"), ("shadow", "accepted")):
        results = runs.get(name)
        if not results:
            continue
        delivered = _median(results, sink, "drained_per_s")
        target = TARGETS.get(name)
        verdict = "-"
        if target and delivered is not None:
            verdict = f"{'met' if delivered >= target[1] else 'not met'}: >= {target[1]:,}"
        lines.append(
            f"| {name} | {_fmt(delivered)} | {_fmt(_median(results, sink, 'per_s'))} |"
            f" {_fmt(_median(results, 'published_per_s'))} |"
            f" {_fmt(_median(results, sink, 'lag_s'), 2)} | {_fmt(_median(results, 'server_cpu_us_per_msg'), 1)} |"
            f" {_fmt(_median(results, 'rss_peak_mb'), 1)} | {_loads(results)} | {verdict}{_errors(results)} |"
        )
    if results := runs.get("latency"):
        p50, p99 = _median(results, "p50_ms"), _median(results, "p99_ms")
        limit = TARGETS["latency"][1]
        verdict = f"{'met' if p50 is not None and p50 <= limit else 'not met'}: p50 <= {limit:g} ms"
        lines += [
            "",
            "| phase | p50 ms | p99 ms | publish-to-PUBACK p50 ms | received / sent | load avg | target |",
            "|---|---:|---:|---:|---|---|---|",
            f"| publish-to-Kinesis | {_fmt(p50, 2)} | {_fmt(p99, 2)} | {_fmt(_median(results, 'puback_p50_ms'), 2)} |"
            f" {_fmt(_median(results, 'received'))} / {_fmt(_median(results, 'sent'))} | {_loads(results)} |"
            f" {verdict}{_errors(results)} |",
        ]
    return "\n".join(lines)
