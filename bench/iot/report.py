"""The iot section of bench/RESULTS.md and the console summary, from results.json's numbers.

Medians over runs per broker; ratios between brokers of the same invocation, oriented so that > 1 means
the row's broker does better (rates: it / the other; latency, memory, time and CPU: the other / it).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

THROUGHPUT = ("fan-in q0", "fan-in q1", "fan-out q0", "fan-out q1")


@dataclass(frozen=True, slots=True)
class Metric:
    phase: str
    field: str
    title: str
    higher_is_better: bool
    digits: int = 0


METRICS = [
    *(Metric(p, "delivered_per_s", f"{p.replace('q', 'QoS ')} delivered msg/s", True) for p in THROUGHPUT),
    Metric("latency q0", "p50_ms", "latency QoS 0 p50 ms", False, 3),
    Metric("latency q0", "p99_ms", "latency QoS 0 p99 ms", False, 3),
    Metric("latency q1", "p50_ms", "latency QoS 1 p50 ms", False, 3),
    Metric("latency q1", "p99_ms", "latency QoS 1 p99 ms", False, 3),
    Metric("idle", "rss_mb", "RSS with the idle connections, MB", False, 1),
    Metric("idle", "kb_per_connection", "RSS per idle connection, kB", False, 1),
    Metric("idle", "connect_s", "time to open the idle connections, s", False, 2),
    Metric("mtls", "connects_per_s", "mTLS connects/s", True),
    Metric("mtls", "broker_cpu_ms_per_connect", "mTLS broker CPU ms/connect", False, 2),
    Metric("mtls", "client_cpu_ms_per_connect", "mTLS client CPU ms/connect (context)", False, 2),
    *(
        Metric(p, "broker_cpu_us_per_msg", f"{p.replace('q', 'QoS ')} broker CPU us/msg", False, 2)
        for p in THROUGHPUT
    ),
]


def _metric(phase: str, field: str) -> Metric:
    return next(m for m in METRICS if m.phase == phase and m.field == field)


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


class Table:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.servers = list(dict.fromkeys(r["server"] for r in raw["results"]))

    def values(self, server: str, phase: str, field: str) -> list[Any]:
        out = []
        for r in self.raw["results"]:
            numbers = r["server"] == server and r.get("phases", {}).get(phase)
            if numbers and "error" not in numbers and numbers.get(field) is not None:
                out.append(numbers[field])
        return out

    def median(self, server: str, metric: Metric) -> float | None:
        seen = self.values(server, metric.phase, metric.field)
        return statistics.median(seen) if seen else None

    def ratio(self, metric: Metric, mine: str, theirs: str) -> str:
        a, b = self.median(mine, metric), self.median(theirs, metric)
        if not a or not b:
            return "n/a"
        return f"{(a / b if metric.higher_is_better else b / a):.2f}x"

    def errors(self) -> list[str]:
        out = []
        for r in self.raw["results"]:
            if "error" in r:
                out.append(f"- {r['server']} run {r['run']}: did not start: {r['error'][:300]}")
            for phase, numbers in r.get("phases", {}).items():
                if "error" in numbers:
                    out.append(f"- {r['server']} run {r['run']} {phase}: {numbers['error'][:300]}")
        return out

    def loss_rows(self) -> list[str]:
        rows = []
        for server in self.servers:
            for phase in THROUGHPUT:
                lost = self.values(server, phase, "lost")
                if not lost:
                    continue
                sent = self.values(server, phase, "expected")
                cpu = self.values(server, phase, "client_cpu_s")
                behind = self.values(server, phase, "out_of_order")
                loads = self.values(server, phase, "load")
                rows.append(
                    f"| {server} | {phase.replace('q', 'QoS ')} | {sum(sent):,} | {sum(lost):,} |"
                    f" {sum(behind):,} | {'yes' if not sum(behind) else 'NO'} | {statistics.median(cpu):.2f} |"
                    f" {min(loads):.2f}-{max(loads):.2f} |"
                )
        return rows


def _ceiling(c: dict[str, Any]) -> str:
    if not c:
        return "Not measured (`--no-ceiling`)."
    if "error" in c:
        return f"Could not be measured: {c['error']}"

    def rate(key: str, field: str) -> str:
        return f"{c[key][field]:,.0f}" if key in c and "error" not in c[key] else "n/a"

    return (
        "The same clients against `bench/iot/trivial.py` (answers MQTT without brokering: drops what it is"
        " sent, floods subscribers from prebuilt blocks), sharing the 2 CPUs with it, so a lower bound of"
        f" the clients' limits: publishers (8 connections, 2 processes) {rate('publish_q0', 'published_per_s')}"
        f" msg/s at QoS 0 and {rate('publish_q1', 'published_per_s')} at QoS 1 (100 in flight each); one"
        f" subscriber reads {rate('receive_q0', 'delivered_per_s')} msg/s at QoS 0 and"
        f" {rate('receive_q1', 'delivered_per_s')} at QoS 1 (PUBACKs included), 8 subscribers"
        f" {rate('receive_q0_fanout', 'delivered_per_s')} together; mTLS connects"
        f" {rate('mtls', 'connects_per_s')}/s. A broker well below these rates is not limited by the clients."
    )


def section(raw: dict[str, Any]) -> str:
    t = Table(raw)
    m, a = raw["machine"], raw["args"]
    loads = [r["load_before"] for r in raw["results"]]
    loads += [n["load"] for r in raw["results"] for n in r.get("phases", {}).values() if "load" in n]
    peers = ", ".join(f"{k} {v}" for k, v in raw["peer_versions"].items()) or "none"
    lines = [
        "# IoT (MQTT broker) benchmark results",
        "",
        f"- Command: `{raw['command']}` (from the repository root; `python -m bench.iot` directly)",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; Python {m['python']}",
        f"- Runs per broker: {a['runs']} (interleaved; each run starts each broker afresh)",
        f"- Headwater: {raw['headwater_tree']}",
        f"- Peers: {peers}",
        (
            f"- Machine load (1-minute load average at the start of each phase): {min(loads):.2f} to {max(loads):.2f}"
            " (about 0 on an idle machine; anything above means other work shared the 2 CPUs)"
        )
        if loads
        else "- Load: n/a",
        "",
        "## Method",
        "",
        f"- Payloads of {256} bytes: publisher id, sequence number and send time, then padding. Clients are the"
        " benchmark's own (`bench/iot/clients.py`: asyncio on raw sockets, MQTT 3.1.1, clean sessions, batched"
        " writes of prebuilt packets); the many side of a phase is spread over"
        f" {a['procs']} processes and the single client has its own.",
        f"- Fan-in: {a['clients']} publishers on their own topics -> 1 subscriber on `+`; fan-out: 1 publisher ->"
        f" {a['clients']} subscribers of its topic; subscriptions at the publish QoS. Publishers send as fast as"
        " they can (QoS 1: at most 100 unacknowledged each) for"
        f" {a['warmup']:g} s warm-up + {a['duration']:g} s measured; delivered msg/s = messages the subscribers"
        " received inside the measured window / its length (fan-out counts every subscriber's copy). Then the"
        f" subscribers drain (at most {a['drain']:g} s, or 3 s idle): lost = sent - received per subscriber;"
        " order = every publisher's sequence numbers ascending at every subscriber.",
        f"- Latency: one publisher, one subscriber, one message at a time on blocking sockets ({a['latency_messages']:,}"
        " after 100 warm-up), time from writing the PUBLISH to reading it at the subscriber.",
        f"- Idle connections: {a['connections']:,} clients connect (200 at a time, keep-alive 1200 s) and stay; the"
        " broker's RSS (VmRSS of its process tree) 2 s after the last CONNACK, and the time they took.",
        f"- mTLS: {a['procs']} processes x {a['tls_concurrency']} loops of TCP connect, TLS handshake with an"
        f" RSA 2048 client certificate, CONNECT/CONNACK, DISCONNECT for {a['tls_seconds']:g} s; the server"
        " certificates are on P-256 keys everywhere (Headwater's own IoT CA and server certificate are; the"
        " run's generated CA and server certificate for Mosquitto and amqtt match them). Mosquitto requires the"
        " client certificate (`require_certificate true`); amqtt 0.12 verifies one when presented but does not"
        " require it (its listener sets CERT_OPTIONAL, with no option to require one); Headwater's device"
        " certificate comes from its own CreateKeysAndCertificate (an allow-all policy attached) and the"
        " client checks the server against Headwater's root CA (`GET /_headwater/iot/root-ca`). Broker and"
        " client CPU per connect are given beside the rate: the handshake costs the client about as much.",
        "- Mosquitto: the Debian package unpacked into bench/.peers/mosquitto/ (no root), config generated per"
        " run: anonymous, no persistence, `max_queued_messages 0` (its default 1,000 drops QoS 1 messages for a"
        " slow subscriber), `max_inflight_messages 100`. amqtt: its broker with only the anonymous-auth plugin."
        " Headwater: `serve --mqtt-port P --iot-mode relaxed --iot-port Q` (Q: mTLS), durable, limits off.",
        "- Broker CPU = utime + stime of its process tree over the phase (load and drain) / messages delivered:"
        " less sensitive to a busy machine than the rates.",
        "",
        "## Client ceiling",
        "",
        _ceiling(raw["ceiling"]),
        "",
        "## Skipped or failed",
        "",
        *([f"- {k}: {v}" for k, v in raw["skipped"].items()] + t.errors() or ["None."]),
        "",
        "## Results (medians over runs)",
        "",
        "| metric | " + " | ".join(t.servers) + " |",
        "|---|" + "---:|" * len(t.servers),
    ]
    for metric in METRICS:
        lines.append(
            f"| {metric.title} | "
            + " | ".join(_fmt(t.median(s, metric), metric.digits) for s in t.servers)
            + " |"
        )
    lines.append(
        "| peak RSS over the run, MB | "
        + " | ".join(
            _fmt(statistics.median([r["rss_peak_mb"] for r in raw["results"] if r["server"] == s]), 1)
            for s in t.servers
        )
        + " |"
    )
    lines += [
        "",
        "## Loss and order (sums over runs)",
        "",
        "| broker | phase | deliveries expected | lost | out of order | order kept | client CPU s (median) | load avg |",
        "|---|---|---:|---:|---:|---|---:|---|",
        *t.loss_rows(),
        "",
        "Deliveries expected = messages sent x subscribers; lost = expected - received when the drain ended (a"
        " broker still delivering after it counts the rest as lost). QoS 0 may lose messages (a broker sheds"
        " load by dropping them); at QoS 1 nothing may be lost. Client CPU: all client processes over the phase.",
        "",
        "## Ratios",
        "",
    ]
    order = [("headwater", "mosquitto"), ("headwater", "amqtt"), ("mosquitto", "amqtt")]
    pairs = [(s, o) for s, o in order if s in t.servers and o in t.servers]
    if pairs:
        lines += [
            "| metric | " + " | ".join(f"{s} vs {o}" for s, o in pairs) + " |",
            "|---|" + "---:|" * len(pairs),
        ]
        for metric in METRICS:
            lines.append(f"| {metric.title} | " + " | ".join(t.ratio(metric, s, o) for s, o in pairs) + " |")
        lines += [
            "",
            "> 1: the first broker does better (rates: first/second; latency, memory, time, CPU: second/first).",
            "",
        ]
    lines += ["## Targets (issue 14)", "", *_targets(t)]
    return "\n".join(lines)


def _targets(t: Table) -> list[str]:
    if "headwater" not in t.servers:
        return ["Not checked: Headwater was not measured (see Skipped)."]
    rows = []
    for phase in THROUGHPUT:
        metric = next(m for m in METRICS if m.phase == phase and m.field == "delivered_per_s")
        for peer, want in (("mosquitto", 0.5), ("amqtt", 10.0)):
            ratio = t.ratio(metric, "headwater", peer)
            ok = ratio != "n/a" and float(ratio[:-1]) >= want
            rows.append(f"- {metric.title} >= {want:g}x {peer}: {ratio} ({'met' if ok else 'NOT met'})")
    p50 = t.median("headwater", _metric("latency q0", "p50_ms"))
    rows.append(
        f"- unloaded p50 <= 0.3 ms: {_fmt(p50, 3)} ms ({'met' if p50 is not None and p50 <= 0.3 else 'NOT met'})"
    )
    rss = t.median("headwater", _metric("idle", "rss_mb"))
    n = t.raw["args"]["connections"]
    verdict = "met" if rss is not None and rss < 400 else "NOT met"
    if n < 10_000:
        verdict = f"not checked: this run held {n:,}"
    rows.append(f"- 10,000 idle connections < 400 MB RSS: {_fmt(rss, 1)} MB ({verdict})")
    lost = sum(sum(t.values("headwater", p, "lost")) for p in ("fan-in q1", "fan-out q1"))
    rows.append(f"- nothing lost at QoS 1: {lost:,} lost ({'met' if not lost else 'NOT met'})")
    return rows


def summary(raw: dict[str, Any]) -> str:
    t = Table(raw)
    lines = ["", "median".ljust(44) + "".join(s.rjust(14) for s in t.servers)]
    for metric in METRICS:
        lines.append(
            metric.title.ljust(44)
            + "".join(_fmt(t.median(s, metric), metric.digits).rjust(14) for s in t.servers)
        )
    return "\n".join(lines)
