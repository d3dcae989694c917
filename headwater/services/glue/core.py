"""The Glue Data Catalog's state: databases and tables in memory, versions and partitions on disk.

Theory of operation
-------------------
Databases and tables are few: they live in dicts (the API's `Database` and `Table` documents, as
AWS returns them) and are written to the metadata store before an operation answers. Every table
version (the current one included) and every partition live only in the ordered store, keyed
under their table, so a table may have millions of partitions without memory growing and
`GetPartitions` pages through them in key order.

Keys are catalog id, region, database and table, each percent-encoded and joined with "/", so a
table's key followed by "/" is a prefix no other table shares. Names are stored lower-cased, as
Glue does (lookups are case-insensitive). Deleting a table removes its versions and partitions in
batches; a crash half way leaves rows of a table that no longer exists, so creating a table first
drops whatever rows its key still has (usually none: one empty range read).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from headwater.engine.api import Change, MetaStore, OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.glue import errors

DATABASES = "glue.databases"
TABLES = "glue.tables"
VERSIONS = "glue.versions"
PARTITIONS = "glue.partitions"
BATCH = 500

Doc = dict[str, Any]


def _quote(part: str) -> str:
    # surrogatepass: JSON may carry a lone surrogate (\ud800); it still gets a key of its own
    return quote(part.encode("utf-8", "surrogatepass"), safe="")


def db_key(catalog: str, region: str, database: str) -> str:
    return "/".join(_quote(part) for part in (catalog, region, database.lower()))


def table_key(database_key: str, table: str) -> str:
    return f"{database_key}/{_quote(table.lower())}"


def partition_key(tkey: str, values: list[str]) -> str:
    return tkey + "/" + "/".join(_quote(value) for value in values)


def version_key(tkey: str, version: str) -> str:
    return f"{tkey}/{int(version):010d}"


def encode(doc: Doc) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(raw: bytes) -> Doc:
    result: Doc = json.loads(raw)
    return result


class GlueCore:
    def __init__(self, meta: MetaStore, ordered: OrderedStore, clock: SystemClock) -> None:
        self.meta = meta
        self.ordered = ordered
        self.clock = clock
        self.databases: dict[str, Doc] = {}
        self.tables: dict[str, Doc] = {}

    async def start(self) -> None:
        self.databases = {key: decode(raw) for key, raw in self.meta.scan(DATABASES)}
        self.tables = {key: decode(raw) for key, raw in self.meta.scan(TABLES)}

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self.databases.clear()  # the engine's reset emptied the stores
        self.tables.clear()

    # -- lookups ------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now_ms() / 1000

    def database(self, catalog: str, region: str, name: str) -> tuple[str, Doc]:
        key = db_key(catalog, region, name)
        found = self.databases.get(key)
        if found is None:
            raise errors.database_not_found(name)
        return key, found

    def databases_of(self, catalog: str, region: str) -> list[Doc]:
        prefix = db_key(catalog, region, "")
        return [doc for key, doc in sorted(self.databases.items()) if key.startswith(prefix)]

    def table(self, catalog: str, region: str, database: str, name: str) -> tuple[str, Doc]:
        dkey, _ = self.database(catalog, region, database)
        key = table_key(dkey, name)
        found = self.tables.get(key)
        if found is None:
            raise errors.table_not_found(name)
        return key, found

    def tables_of(self, database_key: str) -> list[tuple[str, Doc]]:
        prefix = database_key + "/"
        return [(key, doc) for key, doc in sorted(self.tables.items()) if key.startswith(prefix)]

    # -- databases ----------------------------------------------------------------------------------

    async def put_database(self, key: str, doc: Doc) -> None:
        self.databases[key] = doc
        await self.meta.put(DATABASES, key, encode(doc))

    async def delete_database(self, key: str) -> None:
        for tkey, _ in self.tables_of(key):
            await self.delete_table(tkey)
        del self.databases[key]
        await self.meta.delete(DATABASES, key)

    # -- tables and their versions ------------------------------------------------------------------

    async def create_table(self, key: str, doc: Doc) -> None:
        await self._drop_rows(key)
        await self.put_table(key, doc)

    async def put_table(self, key: str, doc: Doc, drop_version: str | None = None) -> None:
        """Stores `doc` as the table's current version (and as a version row); `drop_version` is
        the previous version's id when it must not stay archived."""
        self.tables[key] = doc
        await self.meta.put(TABLES, key, encode(doc))
        changes: list[Change] = [(VERSIONS, version_key(key, doc["VersionId"]), encode(doc))]
        if drop_version is not None:
            changes.append((VERSIONS, version_key(key, drop_version), None))
        await self.ordered.write(changes)

    async def delete_table(self, key: str) -> None:
        del self.tables[key]
        await self.meta.delete(TABLES, key)
        await self._drop_rows(key)

    async def _drop_rows(self, key: str) -> None:
        for namespace in (VERSIONS, PARTITIONS):
            while rows := self.ordered.scan_range(namespace, None, key + "/", BATCH):
                await self.ordered.write([(namespace, row, None) for row, _ in rows])

    def versions(self, key: str) -> list[Doc]:
        """Every stored version of the table, oldest first."""
        return [decode(raw) for _, raw in self._rows(VERSIONS, key + "/")]

    def version(self, key: str, version: str) -> Doc | None:
        raw = self.ordered.get(VERSIONS, version_key(key, version))
        return decode(raw) if raw is not None else None

    async def delete_versions(self, key: str, versions: list[str]) -> None:
        if versions:
            await self.ordered.write([(VERSIONS, version_key(key, v), None) for v in versions])

    # -- partitions ---------------------------------------------------------------------------------

    def partition(self, tkey: str, values: list[str]) -> Doc | None:
        raw = self.ordered.get(PARTITIONS, partition_key(tkey, values))
        return decode(raw) if raw is not None else None

    async def put_partitions(self, tkey: str, docs: list[Doc]) -> None:
        if docs:
            await self.ordered.write(
                [(PARTITIONS, partition_key(tkey, d["Values"]), encode(d)) for d in docs]
            )

    async def delete_partition(self, tkey: str, values: list[str]) -> None:
        await self.ordered.write([(PARTITIONS, partition_key(tkey, values), None)])

    def partitions(self, tkey: str, after: str | None) -> Iterator[tuple[str, Doc]]:
        """The table's partitions in key order, after the row key `after`."""
        for key, raw in self._rows(PARTITIONS, tkey + "/", after):
            yield key, decode(raw)

    def _rows(self, namespace: str, prefix: str, after: str | None = None) -> Iterator[tuple[str, bytes]]:
        while rows := self.ordered.scan_range(namespace, after, prefix, BATCH):
            yield from rows
            after = rows[-1][0]
