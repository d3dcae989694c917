"""The registry's state: a part of the iot service's lifecycle.

Theory of operation
-------------------
Thing types, thing groups, billing groups and the event settings are few: they live in dicts
keyed by `<namespace><name>` and are written to the metadata store before an operation answers.
Things may be millions: each is one row of the ordered store (its document carries its type,
billing group, static groups (at most 10) and version), and every relation a listing pages
through is an index row beside it (type -> things, group -> things, billing group -> things,
thing <-> principals), changed in the same atomic `write` as the thing, so a crash never leaves
a thing listed where it is not. Listings read the indexes by key range, a page at a time.

Operations check everything first and write last, without awaiting in between, so two requests
interleaving on the loop never see each other's half-done change (reads see unawaited writes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from headwater.engine.api import Change, MetaStore, OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.iot.contracts import EventPublisher
from headwater.services.iot.registry import errors
from headwater.services.iot.registry.keys import (
    BILLING,
    EVENT_CONFIG,
    GROUPS,
    THINGS,
    TYPES,
    Doc,
    decode,
    encode,
    namespace,
)
from headwater.services.iot.registry.tags import TagStore

BATCH = 500

# (account, region, principal ARN) -> does the certificate (or other principal) exist?
PrincipalCheck = Callable[[str, str, str], bool]


class RegistryStore:
    def __init__(self, meta: MetaStore, ordered: OrderedStore, clock: SystemClock) -> None:
        self.meta = meta
        self.ordered = ordered
        self.clock = clock
        self.types: dict[str, Doc] = {}
        self.groups: dict[str, Doc] = {}
        self.billing: dict[str, Doc] = {}
        self.event_config: dict[str, Doc] = {}
        self.tags = TagStore(ordered)
        # wired by the core: the broker's publisher (None until it lands: events are dropped) and
        # the certificate store's existence check (None: any principal may be attached)
        self.publisher: EventPublisher | None = None
        self.principal_exists: PrincipalCheck | None = None

    async def start(self) -> None:
        for namespace_, table in self._resident():
            table.clear()
            table.update((key, decode(raw)) for key, raw in self.meta.scan(namespace_))

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        for _, table in self._resident():
            table.clear()  # the engine's reset emptied the stores

    def _resident(self) -> list[tuple[str, dict[str, Doc]]]:
        return [
            (TYPES, self.types),
            (GROUPS, self.groups),
            (BILLING, self.billing),
            (EVENT_CONFIG, self.event_config),
        ]

    def now(self) -> float:
        return self.clock.now_ms() / 1000

    # -- resident documents ---------------------------------------------------------------------

    async def put_resident(self, table: str, key: str, doc: Doc) -> None:
        self._table(table)[key] = doc
        await self.meta.put(table, key, encode(doc))

    async def drop_resident(self, table: str, key: str) -> None:
        self._table(table).pop(key, None)
        await self.meta.delete(table, key)

    def _table(self, table: str) -> dict[str, Doc]:
        return dict(self._resident())[table]

    def in_namespace(self, table: dict[str, Doc], account: str, region: str) -> list[tuple[str, Doc]]:
        prefix = namespace(account, region)
        return [(key, doc) for key, doc in sorted(table.items()) if key.startswith(prefix)]

    def thing_type(self, account: str, region: str, name: str) -> Doc:
        found = self.types.get(namespace(account, region) + name)
        if found is None:
            raise errors.type_not_found(name)
        return found

    def group(self, account: str, region: str, name: str) -> Doc:
        found = self.groups.get(namespace(account, region) + name)
        if found is None:
            raise errors.group_not_found(name)
        return found

    def billing_group(self, account: str, region: str, name: str) -> Doc:
        found = self.billing.get(namespace(account, region) + name)
        if found is None:
            raise errors.billing_group_not_found(name)
        return found

    def existing_thing(self, account: str, region: str, name: str) -> Doc:
        found = self.thing(account, region, name)
        if found is None:
            raise errors.thing_not_found(name)
        return found

    # -- things and index rows ------------------------------------------------------------------

    def thing(self, account: str, region: str, name: str) -> Doc | None:
        raw = self.ordered.get(THINGS, namespace(account, region) + name)
        return decode(raw) if raw is not None else None

    def rows(self, table: str, prefix: str, after: str | None = None) -> Iterator[tuple[str, bytes]]:
        """Rows of `table` under `prefix` in key order, strictly after the key `after`."""
        while rows := self.ordered.scan_range(table, after, prefix, BATCH):
            yield from rows
            after = rows[-1][0]

    def suffixes(self, table: str, prefix: str, after: str | None = None) -> Iterator[str]:
        """The key suffixes after `prefix` (the thing names of a `<ns><group>/` index...)."""
        start = prefix + after if after is not None else None
        for key, _ in self.rows(table, prefix, start):
            yield key[len(prefix) :]

    def any_row(self, table: str, prefix: str) -> bool:
        return bool(self.ordered.scan_range(table, None, prefix, 1))

    async def write(self, changes: list[Change]) -> None:
        if changes:
            await self.ordered.write(changes)

    async def drop_rows(self, table: str, prefix: str) -> None:
        while rows := self.ordered.scan_range(table, None, prefix, BATCH):
            await self.ordered.write([(table, key, None) for key, _ in rows])
