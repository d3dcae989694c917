"""The S3 section of RESULTS.md and the console summary: its metrics (titled with the invocation's sizes),
targets (some against the faster peer, some against the disk), method and ceiling; the layout is
bench.common.report's."""

from __future__ import annotations

import statistics
from typing import Any

from bench.common.report import Metric, Results, Target, ceiling_text, document, fmt, is_ours
from bench.common.scenario import Outcome

CPU = "% of one core"


def metrics(s: dict[str, Any]) -> list[Metric]:
    """The compared metrics, titled with this invocation's sizes."""
    small = f"{s['small_size']:,} B objects, {s['clients']} clients"
    big, mp, keys = f"{s['large_mib']} MiB objects", f"{s['multipart_mib']:,} MiB", f"{s['list_keys']:,}"
    transfer = f"boto3, {s['part_mib']} MiB parts, {s['transfer_threads']} threads"
    return [
        Metric("small_put_rps", f"PUT {small}", "req/s", True, "small_put"),
        Metric("small_get_rps", f"GET {small}", "req/s", True, "small_get"),
        Metric("large_put_mibs", f"PUT {big}, 1 stream", "MiB/s", True, "large"),
        Metric("large_get_mibs", f"GET {big}, 1 stream", "MiB/s", True, "large"),
        Metric("large4_put_mibs", f"PUT {big}, {s['streams']} streams", "MiB/s", True, "large"),
        Metric("large4_get_mibs", f"GET {big}, {s['streams']} streams", "MiB/s", True, "large"),
        Metric("mp_upload_mibs", f"Multipart upload of {mp} ({transfer})", "MiB/s", True, "multipart"),
        Metric("mp_download_mibs", f"Download of it ({transfer}, ranged GETs)", "MiB/s", True, "multipart"),
        Metric("rss_growth_mb", f"Server RSS growth during the {mp} transfers", "MB", False, "multipart"),
        Metric("list_load_rps", f"Listing setup: PUT of {keys} 16-byte objects", "keys/s", True, "list"),
        Metric(
            "list_full_kps",
            f"ListObjectsV2 of {keys} keys, {s['list_page']:,} a page",
            "keys/s",
            True,
            "list",
        ),
        Metric(
            "list_delimiter_ms",
            "ListObjectsV2 Delimiter=/ over every key (100 prefixes)",
            "ms",
            False,
            "list",
            1,
        ),
        Metric("list_prefix_ms", "ListObjectsV2 of one prefix (1 of 100 groups)", "ms", False, "list", 1),
        Metric("rss_hwm_mb", "Peak RSS of the whole run (sum of VmHWM)", "MB", False, "crash"),
    ]


CONTEXT_METRICS = [
    Metric("large_put_vs_disk", "PUT 1 stream / disk sequential write speed", "x", True, "large", 2),
    Metric("large_get_vs_disk", "GET 1 stream / disk sequential write speed", "x", True, "large", 2),
    Metric(
        "rss_baseline_mb", "Server RSS before the multipart upload (sum of VmRSS)", "MB", False, "multipart"
    ),
    Metric("rss_upload_peak_mb", "Server RSS peak during the upload", "MB", False, "multipart"),
    Metric("rss_download_peak_mb", "Server RSS peak during the download", "MB", False, "multipart"),
    Metric("list_keys", "Keys loaded for the listing", "keys", True, "list"),
    Metric("list_full_s", "Full listing time", "s", False, "list", 2),
    Metric("small_put_client_cpu_pct", "Client CPU, small PUT", CPU, False, None),
    Metric("small_get_client_cpu_pct", "Client CPU, small GET", CPU, False, None),
    Metric("large_put_client_cpu_pct", "Client CPU, large PUT, 1 stream", CPU, False, None),
    Metric(
        "large_get_client_cpu_pct", "Client CPU, large GET, 1 stream (compare included)", CPU, False, None
    ),
    Metric("mp_upload_client_cpu_pct", "Client CPU, multipart upload (boto3)", CPU, False, None),
    Metric("mp_download_client_cpu_pct", "Client CPU, download (boto3)", CPU, False, None),
    Metric("list_load_client_cpu_pct", "Client CPU, listing setup", CPU, False, None),
    Metric("load_before", "Machine 1-minute load average before the server started", "", False, None, 2),
]

TARGETS = [
    Target("large_put_vs_disk", "large PUT (1 stream) >= 50% of the disk's write speed", lambda v: v >= 0.5),
    Target("large_get_vs_disk", "large GET (1 stream) >= 50% of the disk's write speed", lambda v: v >= 0.5),
    Target("rss_growth_mb", "RSS growth during the big transfer < 100 MB", lambda v: v < 100),
]
PEER_TARGETS = [
    ("small_put_rps", "small PUT >= 3x the faster peer"),
    ("small_get_rps", "small GET >= 3x the faster peer"),
]
VERIFIED = [
    ("small_verified", "small objects: ETags and bodies right"),
    ("large_verified", "large objects: bodies right"),
    ("mp_verified", "multipart: ETag form, length, downloaded file right"),
    ("list_verified", "listings exact (keys, order, prefixes)"),
]

METHOD = """\
- Every server runs as its own process on a free loopback port with a fresh data directory. The client
  is one Python process: raw HTTP/1.1 on persistent sockets, one per thread, path-style requests whose
  headers are SigV4-signed once per method with botocore (`UNSIGNED-PAYLOAD`, reused for every request: no
  server here checks signatures; Headwater runs `--auth open`), bodies sent from shared buffers without
  copying. The multipart phase is boto3's transfer manager instead, as a user would run it.
- Small objects: {clients} clients PUT {small_size:,} B objects (24-byte id + shared random tail) to their
  own keys back to back for {duration:g} s; a PUT counts when answered 200 with ETag = MD5 of the body. Then
  they GET the acknowledged keys (shuffled, cycling) for {duration:g} s and compare every body byte for byte.
- Large objects: {large_mib} MiB bodies; 1 stream PUTs {large_count} objects one after the other, then GETs
  them back into reused buffers and compares; then {streams} streams do {per_stream} each. Rate = bytes /
  time with a request in flight (the comparison between two GETs is not counted); objects deleted after.
- Disk: before each run the benchmark writes {disk_mib:,} MiB in 1 MiB blocks to a new file in the
  directory holding the servers' data directories, then fsyncs it; speed = size / time, fsync included.
  The large-object targets compare the 1-stream rates with the disk speed measured in the same run.
- Multipart: boto3 `upload_file` of a {multipart_mib:,} MiB file (TransferConfig: {part_mib} MiB parts,
  {transfer_threads} threads, classic transfer manager; no payload SHA-256, checksums only where required),
  then `download_file` of it; HeadObject must show the size and an ETag ending in -parts, and the download
  must equal the file. The server's RSS (sum of VmRSS over its process tree) is sampled every 100 ms:
  baseline = median of 3 samples just before the upload, growth = highest sample during either transfer -
  baseline.
- Listing: {list_keys:,} keys `list/pGGG/NNNNNNN` (100 groups) PUT by {clients} clients with 16-byte bodies
  (capped at {list_load_timeout:g} s; a server that gets less far is listed at what it holds), then one
  full ListObjectsV2 (max-keys {list_page:,}, continuation tokens): every key once, in order. Then
  Delimiter=/ under `list/` (exactly the 100 groups as CommonPrefixes, no key) and Prefix=`list/p042/`
  (that group's keys), 3 times each, median.
- RSS peak of the run: sum over the server's process tree of each process's VmHWM, sampled every 0.25 s.
- Medians over runs; servers interleaved within each run. Ratios compare medians of this invocation,
  oriented so that > 1 means Headwater is better (throughput: ours/theirs; time, memory: theirs/ours).
"""


def _versus_faster_peer(results: Results, server: str, key: str) -> str:
    peers = [(results.median(p, key), p) for p in results.servers if not is_ours(p)]
    measured = [(v, p) for v, p in peers if v]
    mine = results.median(server, key)
    if mine is None:
        return "not measured"
    if not measured:
        return f"no peer measured ({fmt(mine)})"
    best, name = max(measured)
    x = mine / best
    return f"{'met' if x >= 3 else 'NOT met'} ({x:.2f}x {name})"


def _target_table(results: Results) -> list[str]:
    first = []
    for key, text in PEER_TARGETS:
        cells = [_versus_faster_peer(results, s, key) if is_ours(s) else "-" for s in results.servers]
        first.append(f"| {text} | " + " | ".join(cells) + " |")
    return results.target_table(TARGETS, lambda key: 0 if key.endswith("_mb") else 2, VERIFIED, first)


def disk_line(raw: dict[str, Any]) -> str:
    speeds = [d for d in raw.get("disk_mibs", []) if d]
    if not speeds:
        return "- Disk sequential write: not measured"
    runs = ", ".join(f"{d:,.0f}" for d in speeds)
    return (
        f"- Disk sequential write ({raw['settings']['disk_mib']:,} MiB, 1 MiB blocks + fsync, on "
        f"{raw.get('filesystem', 'unknown')}): {runs} MiB/s (median {statistics.median(speeds):,.0f})"
    )


def _ceiling(c: dict[str, Any], streams: int) -> str:
    def g(key: str) -> str:
        return fmt(c.get(key))

    return (
        "Against a server keeping objects in memory (bench/s3/trivial.py, one asyncio process on the same 2 "
        "CPUs, so these are lower bounds of the client's own limits): "
        f"small PUT {g('small_put_rps')} req/s (client CPU {g('small_put_client_cpu_pct')}% of one core), "
        f"small GET {g('small_get_rps')} req/s ({g('small_get_client_cpu_pct')}%); "
        f"large PUT {g('large_put_mibs')} / GET {g('large_get_mibs')} MiB/s on 1 stream, "
        f"{g('large4_put_mibs')} / {g('large4_get_mibs')} MiB/s on {streams}; "
        f"boto3 multipart upload {g('mp_upload_mibs')} MiB/s (client CPU {g('mp_upload_client_cpu_pct')}%), "
        f"download {g('mp_download_mibs')} MiB/s ({g('mp_download_client_cpu_pct')}%); "
        f"listing setup {g('list_load_rps')} keys/s, full listing {g('list_full_kps')} keys/s. "
        "A server measured well below these is not held back by the client."
        + (f" Problems: {c['notes']}" if c.get("notes") else "")
    )


def section_markdown(raw: dict[str, Any], outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    streams = raw["settings"]["streams"]
    return document(
        raw,
        results,
        title="S3 benchmark results",
        entry_note="`make bench` runs Kinesis, SQS, then S3",
        runs_note=" (quick mode: small volumes, not a result)" if raw.get("quick") else "",
        header_extra=[disk_line(raw)],
        method=METHOD.format(**raw["settings"]),
        ceiling_title="Client ceiling",
        ceiling=ceiling_text(raw["ceiling"], lambda c: _ceiling(c, streams)),
        skipped_title="Skipped",
        skipped=[f"- {name}: {reason}" for name, reason in raw["skipped"].items()],
        targets=_target_table(results),
        compared=metrics(raw["settings"]),
        context=CONTEXT_METRICS,
    )


def summary(outcomes: list[Outcome], servers: list[str]) -> str:
    results = Results(outcomes, servers)
    keys = [
        "small_put_rps",
        "small_get_rps",
        "large_put_mibs",
        "large_get_mibs",
        "mp_upload_mibs",
        "rss_growth_mb",
        "list_full_kps",
    ]

    def versus_peers(server: str) -> list[str]:
        return [f"  {_versus_faster_peer(results, server, k):24} {text}" for k, text in PEER_TARGETS]

    return results.summary(keys, lambda key: 0, 16, TARGETS, pad=24, first=versus_peers)
