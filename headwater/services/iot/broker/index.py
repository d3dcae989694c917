"""The subscription index of one namespace: which subscriptions a topic reaches, without a scan.

Exact filters (most of them: device topics) sit in a dict keyed by the filter, so the common route
is one lookup. Wildcard filters sit in a trie of levels; matching walks the topic's levels once,
following the literal child, the `+` child and collecting the `#` child's entries at each level.
AWS's rules: `#` needs a level of its own (`a/#` matches `a/` and `a/b`, never `a`), and a filter
whose first level is a wildcard never matches a topic starting with `$`.

Entries are stored under a key (a client id, or `$share/<group>` for a shared group), so the same
filter holds one entry per subscriber and removing one is a dict deletion.

Matches are cached per topic (`_cache`, at most `CACHE_TOPICS`, emptied whenever a subscription is
added or removed, and when full): a busy topic's route is then one dict lookup, whatever its
filters. Subscriptions change far less often than messages flow; the result is a tuple, which
callers only read.
"""

from __future__ import annotations

from typing import Generic, TypeVar

E = TypeVar("E")

CACHE_TOPICS = 4096


class _Node(Generic[E]):
    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Node[E]] = {}
        self.entries: dict[str, E] = {}


class SubscriptionIndex(Generic[E]):
    def __init__(self) -> None:
        self._exact: dict[str, dict[str, E]] = {}
        self._root: _Node[E] = _Node()
        self._wildcards = 0
        self._cache: dict[str, tuple[E, ...]] = {}

    def add(self, topic_filter: str, key: str, entry: E) -> None:
        self._cache.clear()
        if "+" not in topic_filter and "#" not in topic_filter:
            self._exact.setdefault(topic_filter, {})[key] = entry
            return
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                child = node.children[level] = _Node()
            node = child
        if key not in node.entries:
            self._wildcards += 1
        node.entries[key] = entry

    def get(self, topic_filter: str, key: str) -> E | None:
        if "+" not in topic_filter and "#" not in topic_filter:
            return self._exact.get(topic_filter, {}).get(key)
        node: _Node[E] | None = self._root
        for level in topic_filter.split("/"):
            node = node.children.get(level) if node else None
        return node.entries.get(key) if node else None

    def remove(self, topic_filter: str, key: str) -> E | None:
        self._cache.clear()
        if "+" not in topic_filter and "#" not in topic_filter:
            entries = self._exact.get(topic_filter)
            if entries is None:
                return None
            entry = entries.pop(key, None)
            if not entries:
                del self._exact[topic_filter]
            return entry
        path: list[tuple[_Node[E], str]] = []
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                return None
            path.append((node, level))
            node = child
        removed = node.entries.pop(key, None)
        if removed is not None:
            self._wildcards -= 1
        for parent, level in reversed(path):  # prune empty branches
            child = parent.children[level]
            if child.entries or child.children:
                break
            del parent.children[level]
        return removed

    def match(self, topic: str) -> tuple[E, ...]:
        """Every entry whose filter matches `topic` (once per filter and key)."""
        found = self._cache.get(topic)
        if found is None:
            if len(self._cache) >= CACHE_TOPICS:
                self._cache.clear()
            found = self._cache[topic] = tuple(self._walk(topic))
        return found

    def _walk(self, topic: str) -> list[E]:
        exact = self._exact.get(topic)
        found: list[E] = list(exact.values()) if exact else []
        if not self._wildcards:
            return found
        nodes = [self._root]
        dollar = topic.startswith("$")
        first = True
        for level in topic.split("/"):
            following: list[_Node[E]] = []
            for node in nodes:
                children = node.children
                if not children:
                    continue
                if not (first and dollar):
                    multi = children.get("#")
                    if multi is not None:
                        found.extend(multi.entries.values())
                    single = children.get("+")
                    if single is not None:
                        following.append(single)
                literal = children.get(level)
                if literal is not None:
                    following.append(literal)
            nodes = following
            first = False
            if not nodes:
                return found
        for node in nodes:
            found.extend(node.entries.values())
        return found

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._exact.values()) + self._wildcards
