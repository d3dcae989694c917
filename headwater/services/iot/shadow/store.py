"""Where shadows live: rows of the ordered store, so a million things' shadows are never all in
memory and a thing's named shadows list by key range.

- `iot-shadows`, key `<account>/<region>/<thing>/<shadow>`: the shadow (`document.Shadow`), or the
  tombstone a delete leaves (its version and when) so a shadow re-created within 48 hours carries
  its version on. The classic shadow's `<shadow>` is `~`, a character shadow names cannot hold, so
  a range scan of `<thing>/` lists named shadows after it (thing names hold no `/`).
- `iot-shadow-history`, key `<account>/<region>/<thing>/<shadow>/<ms:013>/<version:010>[-deleted]`: one row
  per accepted change, written in the same atomic write as the shadow; rows older than the window
  are never read, and dropped as the shadow changes.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from headwater.engine.api import Change, OrderedStore
from headwater.services.iot.shadow.document import Shadow

SHADOWS = "iot-shadows"
HISTORY = "iot-shadow-history"
CLASSIC = "~"
# every 16th version of a shadow drops up to 32 of its expired history rows (a scan per change would
# halve the update rate); reads skip expired rows anyway, so pruning only bounds the space
PRUNE_EVERY = 16
PRUNE_BATCH = 32
HISTORY_PAGE = 1000  # the most changes the history route returns (the latest)


def shadow_key(account: str, region: str, thing: str, name: str | None) -> str:
    return f"{account}/{region}/{thing}/{name if name is not None else CLASSIC}"


class ShadowRows:
    def __init__(self, ordered: OrderedStore) -> None:
        self.ordered = ordered

    def read(self, key: str) -> Shadow | None:
        raw = self.ordered.get(SHADOWS, key)
        return Shadow.decode(raw) if raw is not None else None

    def read_sized(self, key: str) -> tuple[Shadow, int] | None:
        """The shadow and its row's size."""
        raw = self.ordered.get(SHADOWS, key)
        return (Shadow.decode(raw), len(raw)) if raw is not None else None

    def changes(
        self, key: str, shadow: Shadow, row: bytes, entry: bytes | None, now_ms: int, window_ms: int
    ) -> list[Change]:
        """The shadow's row (or its tombstone's) and, when history is kept, its history row (and
        expired ones to drop): to be written together, atomically."""
        changes: list[Change] = [(SHADOWS, key, row)]
        if entry is not None and window_ms > 0:
            # a delete keeps the version it deleted: its row must not replace that update's
            suffix = "-deleted" if shadow.deleted_ms is not None else ""
            changes.append((HISTORY, f"{key}/{now_ms:013d}/{shadow.version:010d}{suffix}", entry))
            if shadow.version % PRUNE_EVERY == 0:
                changes.extend(self._expired(key, now_ms - window_ms))
        return changes

    def _expired(self, key: str, cutoff_ms: int) -> list[Change]:
        rows = self.ordered.scan_range(HISTORY, None, f"{key}/", PRUNE_BATCH)
        return [(HISTORY, row, None) for row, _ in rows if int(row.rsplit("/", 2)[1]) < cutoff_ms]

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
        """The latest HISTORY_PAGE changes since `since_ms`, oldest first (rows before it, not yet
        pruned, are skipped by the scan's start)."""
        kept: deque[bytes] = deque(maxlen=HISTORY_PAGE)
        cursor = f"{key}/{since_ms:013d}"  # sorts before every row of that millisecond
        while True:
            rows = self.ordered.scan_range(HISTORY, cursor, f"{key}/", HISTORY_PAGE)
            kept.extend(raw for _, raw in rows)
            if len(rows) < HISTORY_PAGE:
                return [json.loads(raw) for raw in kept]
            cursor = rows[-1][0]
