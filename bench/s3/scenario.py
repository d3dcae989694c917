"""One server, one S3 run: start it, put it through every workload in order, stop it, return the numbers.

Order: small objects (PUT for `duration` s with 8 clients, then GET of what was acknowledged, bodies
compared), the multipart upload and download of the big file with the server's RSS sampled every 100 ms
(second, so its baseline is a warm server that has not yet seen a large body), large objects (one stream,
then `streams` streams: PUT all, GET all and compare, delete), then ListObjectsV2 over `list_keys` keys
(loaded in parallel first). A phase that fails is noted and the next one still runs. Rates count only
answers that were right (small and large objects: each request checked; multipart and listings: the whole
phase, or no number), and a `*_verified` flag per phase says whether every answer was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import scenario
from bench.common.scenario import Outcome, Phases
from bench.common.servers import HOST, Running
from bench.s3 import control
from bench.s3.listing import list_phase, load
from bench.s3.multipart import multipart_phase
from bench.s3.objects import MIB, LoadResult, get_small, large_key, put_small, transfer_large

BUCKETS = {
    "small": "bench-small",
    "large": "bench-large",
    "multipart": "bench-multipart",
    "list": "bench-list",
}


@dataclass(frozen=True, slots=True)
class Settings:
    duration: float = 15.0  # seconds of each small-object measurement (PUT, then GET)
    clients: int = 8
    small_size: int = 1024
    large_mib: int = 64
    large_count: int = 8  # objects through the single stream
    streams: int = 4
    per_stream: int = 4  # objects per stream in the multi-stream measurement
    multipart_mib: int = 1024
    part_mib: int = 16
    transfer_threads: int = 8
    list_keys: int = 100_000
    list_page: int = 1000
    list_load_timeout: float = 300.0
    disk_mib: int = 1024  # the disk speed measurement's file
    ready_timeout: float = 90.0
    keep_data: bool = False


@dataclass(frozen=True, slots=True)
class Payloads:
    """Made once per invocation: the shared tails of object bodies and the multipart source file."""

    small_tail: bytes
    large_tail: bytes
    source: Path


@dataclass
class Run:
    port: int
    s: Settings
    p: Payloads
    running: Running
    disk_mibs: float | None
    m: dict[str, float]
    notes: dict[str, str]
    small_keys: list[list[int]] = field(default_factory=list)  # acknowledged by the small PUTs
    small_put_verified: bool = False


def _errors(result: LoadResult) -> str:
    parts = []
    if result.failed or result.mismatched:
        parts.append(f"{result.failed:,} failed, {result.mismatched:,} wrong")
    if result.errors:
        parts.append("first errors: " + "; ".join(result.errors[:3]))
    return "; ".join(parts)


def _small_put(r: Run) -> None:
    s = r.s
    put = put_small(HOST, r.port, BUCKETS["small"], s.clients, s.duration, r.p.small_tail)
    if put.done:
        r.m["small_put_rps"], r.m["small_put_client_cpu_pct"] = put.rate, put.cpu_pct
    if text := _errors(put):
        r.notes["small_put"] = text
    r.small_keys, r.small_put_verified = put.keys, put.verified
    r.m["small_verified"] = 1.0 if put.verified else 0.0


def _small_get(r: Run) -> None:
    get = get_small(HOST, r.port, BUCKETS["small"], r.small_keys, r.s.duration, r.p.small_tail)
    if get.done:
        r.m["small_get_rps"], r.m["small_get_client_cpu_pct"] = get.rate, get.cpu_pct
    if text := _errors(get):
        r.notes["small_get"] = text
    r.m["small_verified"] = 1.0 if r.small_put_verified and get.verified else 0.0


def _multipart(r: Run) -> None:
    s = r.s
    out = multipart_phase(
        r.port,
        r.running.proc.pid,
        BUCKETS["multipart"],
        r.p.source,
        s.part_mib * MIB,
        s.transfer_threads,
        r.running.data.parent,
    )
    r.m["rss_baseline_mb"] = out.baseline_mb
    if out.upload_mibs is not None:  # memory counts whatever the answers were
        r.m["rss_upload_peak_mb"] = out.upload_peak_mb
        r.m["rss_growth_mb"] = out.growth_mb
    if out.download_mibs is not None:
        r.m["rss_download_peak_mb"] = out.download_peak_mb
    if out.verified and out.upload_mibs is not None and out.download_mibs is not None:
        r.m["mp_upload_mibs"], r.m["mp_upload_client_cpu_pct"] = out.upload_mibs, out.upload_cpu_pct
        r.m["mp_download_mibs"], r.m["mp_download_client_cpu_pct"] = out.download_mibs, out.download_cpu_pct
    r.m["mp_verified"] = 1.0 if out.verified else 0.0
    if out.problems:
        r.notes["multipart"] = "; ".join(out.problems)


def _large(r: Run) -> None:
    s, bucket, tail = r.s, BUCKETS["large"], r.p.large_tail
    problems: list[str] = []
    verified = True
    for prefix, streams, count in (("large", 1, s.large_count), ("large4", s.streams, s.per_stream)):
        put = transfer_large(HOST, r.port, bucket, streams, count, tail, "PUT")
        if put.done:
            r.m[f"{prefix}_put_mibs"] = put.rate
            r.m[f"{prefix}_put_client_cpu_pct"] = put.cpu_pct
        get = transfer_large(HOST, r.port, bucket, streams, count, tail, "GET")
        if get.done:
            r.m[f"{prefix}_get_mibs"] = get.rate
            r.m[f"{prefix}_get_client_cpu_pct"] = get.cpu_pct
        verified = verified and put.verified and get.verified and get.done == streams * count
        for what, result in (("PUT", put), ("GET", get)):
            if text := _errors(result):
                problems.append(f"{streams} stream(s) {what}: {text}")
        keys = [large_key(st, seq) for st in range(streams) for seq in range(count)]
        if reason := control.delete_objects(r.port, bucket, keys):
            problems.append(reason)
    r.m["large_verified"] = 1.0 if verified else 0.0
    if r.disk_mibs:
        for key in ("large_put_mibs", "large_get_mibs"):
            if key in r.m:
                r.m[key.replace("_mibs", "_vs_disk")] = r.m[key] / r.disk_mibs
    if problems:
        r.notes["large"] = "; ".join(problems)


def _listing(r: Run) -> None:
    s, bucket = r.s, BUCKETS["list"]
    loaded = load(HOST, r.port, bucket, s.list_keys, s.clients, s.list_load_timeout)
    r.m["list_load_rps"], r.m["list_load_client_cpu_pct"] = loaded.rate, loaded.cpu_pct
    r.m["list_keys"] = float(len(loaded.acked))
    notes = []
    if loaded.capped:
        notes.append(
            f"load capped at {s.list_load_timeout:g} s: {len(loaded.acked):,} of {s.list_keys:,} keys"
        )
    if loaded.rejected or loaded.uncertain:
        notes.append(
            f"{loaded.rejected:,} PUTs rejected, {len(loaded.uncertain):,} uncertain: "
            + "; ".join(loaded.errors[:3])
        )
    if loaded.acked:
        listed = list_phase(HOST, r.port, bucket, loaded, s.list_page)
        r.m["list_verified"] = 0.0 if listed.problems else 1.0
        if not listed.problems:  # a fast wrong listing is not a result
            r.m["list_full_kps"] = listed.full_keys / listed.full_seconds
            r.m["list_full_s"] = listed.full_seconds
            r.m["list_delimiter_ms"], r.m["list_prefix_ms"] = listed.delimiter_ms, listed.prefix_ms
        notes += listed.problems
    if notes:
        r.notes["list"] = "; ".join(notes)


PHASES: list[tuple[str, Callable[[Run], None]]] = [
    ("small_put", _small_put),
    ("small_get", _small_get),
    ("multipart", _multipart),
    ("large", _large),
    ("list", _listing),
]


def _prepare(
    s: Settings,
    p: Payloads,
    disk_mibs: float | None,
    running: Running,
    outcome: Outcome,
    cleanup: contextlib.ExitStack,
) -> Phases | str:
    reason = control.create_buckets(running.port, list(BUCKETS.values()))
    if reason:
        return reason
    r = Run(running.port, s, p, running, disk_mibs, outcome.metrics, outcome.notes)
    return scenario.bind(PHASES, r)


SCENARIO = scenario.Scenario(control.probe, _prepare, "rss_hwm_mb")
run_server = SCENARIO.run  # extra arguments after the work directory: the payloads, the disk's MiB/s
