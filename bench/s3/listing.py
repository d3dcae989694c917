"""ListObjectsV2 over many keys: load them in parallel, then list them whole, by prefix and by delimiter.

Keys are `list/pGGG/NNNNNNN`: key i goes to group i % GROUPS, so every group holds count / GROUPS keys and a
full listing crosses a group boundary on most pages. The load is N client threads PUTting 16-byte bodies
(key i by client i % N) until all are written or a time cap passes; a key counts when its PUT answered 200,
and one whose request died in transit may or may not exist. Listings go through the raw client (one request
per page, answers read with regular expressions: keys here are plain ASCII, nothing to unescape but the
continuation token) and are checked exactly: the full listing must return every loaded key once, in order;
the delimiter listing every group as a CommonPrefix and no key; the prefix listing every key of one group.
"""

from __future__ import annotations

import html
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from bench.common.load import run_threads
from bench.s3.wire import RawS3, describe

GROUPS = 100
ROOT = "list/"
PROBE_GROUP = 42  # the group listed by prefix
_KEY = re.compile(rb"<Key>([^<]*)</Key>")
_COMMON = re.compile(rb"<CommonPrefixes>\s*<Prefix>([^<]*)</Prefix>")
_TOKEN = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
_TRUNCATED = re.compile(rb"<IsTruncated>\s*true\s*</IsTruncated>")


def list_key(i: int) -> str:
    return f"{ROOT}p{i % GROUPS:03d}/{i // GROUPS:07d}"


def group_prefix(group: int) -> str:
    return f"{ROOT}p{group:03d}/"


@dataclass
class LoadResult:
    acked: list[int] = field(default_factory=list)  # key indexes whose PUT answered 200
    uncertain: list[int] = field(default_factory=list)  # transport errors: the key may exist
    rejected: int = 0
    seconds: float = 0.0
    cpu_pct: float = 0.0
    capped: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.acked) / self.seconds if self.seconds else 0.0


def load(host: str, port: int, bucket: str, count: int, clients: int, cap: float) -> LoadResult:
    out = LoadResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + cap
    body = b"0123456789abcdef"

    def work(c: int) -> None:
        conn = RawS3(host, port)
        acked, uncertain, rejected, errors = [], [], 0, []
        for i in range(c, count, clients):
            if time.perf_counter() >= deadline:
                break
            try:
                answer = conn.request("PUT", f"/{bucket}/{list_key(i)}", (body,))
            except OSError as exc:
                uncertain.append(i)
                errors.append(f"transport: {exc!r}")
                time.sleep(0.01)
                continue
            if answer.status == 200:
                acked.append(i)
            else:
                rejected += 1
                errors.append(describe(answer))
        conn.close()
        with lock:
            out.acked += acked
            out.uncertain += uncertain
            out.rejected += rejected
            out.errors += errors[:3]

    started, stopped, cpu = run_threads([lambda c=c: work(c) for c in range(clients)])
    out.seconds = stopped - started
    out.cpu_pct = 100 * cpu / out.seconds
    out.capped = len(out.acked) + len(out.uncertain) + out.rejected < count
    out.acked.sort()
    return out


@dataclass(frozen=True, slots=True)
class Listing:
    keys: list[str]
    prefixes: list[str]
    pages: int
    seconds: float
    error: str | None = None


def list_objects(
    conn: RawS3, bucket: str, prefix: str, delimiter: str = "", page: int = 1000, max_pages: int = 10**6
) -> Listing:
    """ListObjectsV2, following continuation tokens to the end; stops at the first error."""
    keys: list[str] = []
    prefixes: list[str] = []
    token, pages = "", 0
    base = f"/{bucket}?list-type=2&max-keys={page}&prefix={quote(prefix, safe='')}"
    if delimiter:
        base += f"&delimiter={quote(delimiter, safe='')}"
    t0 = time.perf_counter()
    while pages < max_pages:
        target = base + (f"&continuation-token={quote(token, safe='')}" if token else "")
        try:
            answer = conn.request("GET", target)
        except OSError as exc:
            return Listing(keys, prefixes, pages, time.perf_counter() - t0, f"transport: {exc!r}")
        pages += 1
        if answer.status != 200:
            return Listing(keys, prefixes, pages, time.perf_counter() - t0, describe(answer))
        keys += [k.decode() for k in _KEY.findall(answer.body)]
        prefixes += [p.decode() for p in _COMMON.findall(answer.body)]
        if not _TRUNCATED.search(answer.body):
            break
        match = _TOKEN.search(answer.body)
        if not match:
            return Listing(keys, prefixes, pages, time.perf_counter() - t0, "truncated without a token")
        token = html.unescape(match.group(1).decode())
    return Listing(keys, prefixes, pages, time.perf_counter() - t0)


@dataclass(frozen=True, slots=True)
class ListResult:
    full_seconds: float
    full_keys: int
    full_pages: int
    delimiter_ms: float
    prefix_ms: float
    problems: list[str]


def _check(what: str, got: list[str], acked: list[str], maybe: set[str], problems: list[str]) -> None:
    """`got` must be `acked` in order, plus (anywhere, once) keys whose PUT's outcome is unknown."""
    if [k for k in got if k not in maybe] != acked or len(set(got)) != len(got):
        extra = len(set(got) - set(acked) - maybe)
        missing = len(set(acked) - set(got))
        problems.append(
            f"{what}: {len(got):,} keys, expected {len(acked):,} in order "
            f"(missing {missing:,}, unexpected {extra:,}, duplicates {len(got) - len(set(got)):,})"
        )


def list_phase(
    host: str, port: int, bucket: str, loaded: LoadResult, page: int = 1000, repeats: int = 3
) -> ListResult:
    """Full listing once (timed), then the delimiter and the prefix listings `repeats` times (median)."""
    conn = RawS3(host, port)
    problems: list[str] = []
    acked = [list_key(i) for i in loaded.acked]  # ascending index order is not key order
    acked.sort()
    maybe = {list_key(i) for i in loaded.uncertain}
    try:
        full = list_objects(conn, bucket, ROOT, page=page)
        if full.error:
            problems.append(f"full listing: {full.error} after {full.pages} pages")
        _check("full listing", full.keys, acked, maybe, problems)

        groups = {group_prefix(i % GROUPS) for i in loaded.acked}
        allowed = groups | {group_prefix(i % GROUPS) for i in loaded.uncertain}
        delimited: list[float] = []
        for _ in range(repeats):
            d = list_objects(conn, bucket, ROOT, delimiter="/", page=page)
            delimited.append(d.seconds)
            seen = set(d.prefixes)
            in_order = d.prefixes == sorted(seen)
            if d.error or d.keys or not in_order or not groups <= seen <= allowed:
                problems.append(
                    f"delimiter listing: {d.error or 'wrong answer'}: {len(d.prefixes)} prefixes "
                    f"({'' if in_order else 'not '}sorted, once each) and {len(d.keys)} keys; expected "
                    f"{len(groups)} prefixes and no key"
                )
                break

        mine = [k for k in acked if k.startswith(group_prefix(PROBE_GROUP))]
        prefixed: list[float] = []
        for _ in range(repeats):
            p = list_objects(conn, bucket, group_prefix(PROBE_GROUP), page=page)
            prefixed.append(p.seconds)
            if p.error:
                problems.append(f"prefix listing: {p.error}")
                break
            before = len(problems)
            _check("prefix listing", p.keys, mine, maybe, problems)
            if len(problems) > before:
                break
        return ListResult(
            full_seconds=full.seconds,
            full_keys=len(full.keys),
            full_pages=full.pages,
            delimiter_ms=1000 * statistics.median(delimited),
            prefix_ms=1000 * statistics.median(prefixed),
            problems=problems,
        )
    finally:
        conn.close()
