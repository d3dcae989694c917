"""Where shadows live: rows of the ordered store, so a million things' shadows are never all in
memory and a thing's named shadows list by key range.

- `iot-shadows`, key `<account>/<region>/<thing>/<shadow>`: the shadow (`document.Shadow`), or the
  tombstone a delete leaves (its version and when) so a shadow re-created within 48 hours carries
  its version on. The classic shadow's `<shadow>` is `~`, a character shadow names cannot hold, so
  a range scan of `<thing>/` lists named shadows after it (thing names hold no `/`).
- `iot-shadow-history`, key `<ms:013>/<boot><seq:010>`: the accepted changes of one batch (one loop
  turn, all shadows), a line `<shadow key> <change JSON>` each, in the same atomic write as the
  shadows. Time first, so every batch appends at the table's end: a shadow-first key (one row per
  change under its shadow) put each change on its own b-tree page, and SQLite wrote a page per
  update (~25 us of the writer's time each). The price is on the read side: a shadow's history is
  found by scanning the window's batches (Headwater's own debugging route, not an AWS API).
  Expired batches are the oldest rows: a few are dropped with every 16th batch. Rows of the older
  shadow-first layout start with the account id, which parses as a time long past: pruned too.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable
from typing import Any

from headwater.engine.api import Change, OrderedStore
from headwater.services.iot.shadow.document import Shadow

SHADOWS = "iot-shadows"
HISTORY = "iot-shadow-history"
CLASSIC = "~"
# every 16th batch drops up to 32 expired batches (more than one per batch: pruning keeps up); reads
# skip expired changes anyway, so pruning only bounds the space
PRUNE_EVERY = 16
PRUNE_BATCH = 32
HISTORY_PAGE = 1000  # the most changes the history route returns (the latest)
SCAN_PAGE = 64  # batches read per scan of the history


def shadow_key(account: str, region: str, thing: str, name: str | None) -> str:
    return f"{account}/{region}/{thing}/{name if name is not None else CLASSIC}"


class ShadowRows:
    def __init__(self, ordered: OrderedStore, window_ms: int = 0) -> None:
        self.ordered = ordered
        self.window_ms = window_ms
        # batch keys sort by time, then by this process's start and a counter: unique across restarts
        self._boot = os.urandom(4).hex()
        self._seq = 0
        self._last_ms = 0

    def read(self, key: str) -> Shadow | None:
        raw = self.ordered.get(SHADOWS, key)
        return Shadow.decode(raw) if raw is not None else None

    def read_sized(self, key: str) -> tuple[Shadow, int] | None:
        """The shadow and its row's size."""
        raw = self.ordered.get(SHADOWS, key)
        return (Shadow.decode(raw), len(raw)) if raw is not None else None

    def history_changes(self, entries: Iterable[bytes], newest_ms: int) -> list[Change]:
        """One batch's history row, from `history_line`s in staging order (and expired batches to
        drop): to be written with the batch's shadows, atomically."""
        ms = self._last_ms = max(newest_ms, self._last_ms)  # keys never go back in one process
        self._seq += 1
        changes: list[Change] = [(HISTORY, f"{ms:013d}/{self._boot}{self._seq:010d}", b"".join(entries))]
        if self._seq % PRUNE_EVERY == 0:
            changes.extend(self._expired(ms - self.window_ms))
        return changes

    def _expired(self, cutoff_ms: int) -> list[Change]:
        rows = self.ordered.scan_range(HISTORY, None, "", PRUNE_BATCH)
        return [(HISTORY, row, None) for row, _ in rows if _batch_ms(row) < cutoff_ms]

    def named(
        self, account: str, region: str, thing: str, after: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        """Live named shadows in name order after `after` (tombstones skipped)."""
        prefix = f"{account}/{region}/{thing}/"
        cursor = prefix + after if after is not None else None
        names: list[str] = []
        while len(names) <= limit:
            rows = self.ordered.scan_range(SHADOWS, cursor, prefix, limit + 1)
            for row, raw in rows:
                cursor = row
                name = row[len(prefix) :]
                if name != CLASSIC and Shadow.decode(raw).deleted_ms is None:
                    names.append(name)
            if len(rows) < limit + 1:
                break
        if len(names) > limit:
            return names[:limit], names[limit - 1]
        return names, None

    def history(self, key: str, since_ms: int) -> list[dict[str, Any]]:
        """The shadow's latest HISTORY_PAGE changes since `since_ms`, oldest first: the window's
        batches scanned from `since_ms` on (a batch's time is never before its changes')."""
        kept: deque[bytes] = deque(maxlen=HISTORY_PAGE)
        mark = _mark(key)
        cursor = f"{since_ms:013d}"  # sorts before every batch of that millisecond
        while True:
            rows = self.ordered.scan_range(HISTORY, cursor, "", SCAN_PAGE)
            for _, raw in rows:
                if mark in raw:  # most batches hold nothing of this shadow
                    kept.extend(line[len(mark) :] for line in raw.split(b"\n") if line.startswith(mark))
            if len(rows) < SCAN_PAGE:
                break
            cursor = rows[-1][0]
        changes = [json.loads(raw) for raw in kept]
        return [change for change in changes if change["timestamp"] >= since_ms]


def history_line(key: str, entry: bytes) -> bytes:
    """A change as its batch row holds it: compact JSON holds no newline, nor does the mark."""
    return b"%s%s\n" % (_mark(key), entry)


def _mark(key: str) -> bytes:
    # names are checked before they reach here; a newline must still not split a line
    return key.encode().replace(b"\n", b"\\n") + b" "


def _batch_ms(row: str) -> int:
    head = row.partition("/")[0]
    return int(head) if head.isdigit() else 0  # anything else: not a batch, dropped
