"""The in-memory OrderedStore: a SortedDict per namespace (the reference semantics of api.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from sortedcontainers import SortedDict

from headwater.engine.api import Change

_SURROGATES = range(0xD800, 0xE000)
_LAST_CHAR = 0x10FFFF


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no bound).
    Surrogates are skipped: they have no UTF-8 form, so no stored key holds one."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if code in _SURROGATES:
            code = _SURROGATES.stop
        if code <= _LAST_CHAR:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def lower_bound(start_after: str | None, prefix: str) -> tuple[str, bool]:
    """Where a scan starts: (key, whether that key itself is included)."""
    if start_after is not None and start_after >= prefix:
        return start_after, False
    return prefix, True


class MemoryOrderedStore:
    def __init__(self) -> None:
        self._namespaces: dict[str, SortedDict[str, bytes]] = {}

    def get(self, namespace: str, key: str) -> bytes | None:
        values = self._namespaces.get(namespace)
        return None if values is None else values.get(key)

    def scan_range(
        self, namespace: str, start_after: str | None, prefix: str, limit: int
    ) -> list[tuple[str, bytes]]:
        values = self._namespaces.get(namespace)
        if values is None or limit <= 0:
            return []
        lower, inclusive = lower_bound(start_after, prefix)
        upper = prefix_end(prefix)
        out: list[tuple[str, bytes]] = []
        for key in values.irange(minimum=lower, maximum=upper, inclusive=(inclusive, False)):
            out.append((key, values[key]))
            if len(out) == limit:
                break
        return out

    def write(self, changes: Sequence[Change]) -> Awaitable[None]:
        self.apply(changes)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def apply(self, changes: Sequence[Change]) -> None:
        for namespace, key, value in changes:
            if value is not None:
                self._namespaces.setdefault(namespace, SortedDict())[key] = value
                continue
            values = self._namespaces.get(namespace)
            if values is not None:
                values.pop(key, None)
                if not values:
                    del self._namespaces[namespace]

    def clear(self) -> None:
        self._namespaces = {}
