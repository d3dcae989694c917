"""The TableCatalog port's writes: creating a table and the conditional parameter swap an Iceberg
commit makes (UpdateTable with VersionId, in process)."""

from __future__ import annotations

import asyncio

import pytest

from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.services.glue.catalog import GlueTableCatalog
from headwater.services.glue.core import GlueCore, db_key
from headwater.services.ports import CatalogError, TableColumn

ACCOUNT, REGION = "000000000000", "us-east-1"


def _catalog() -> tuple[GlueCore, GlueTableCatalog]:
    engine = MemoryEngine()
    core = GlueCore(engine.meta, engine.ordered, TestClock())
    return core, GlueTableCatalog(core)


async def _with_database(core: GlueCore) -> None:
    await core.put_database(db_key(ACCOUNT, REGION, "sales"), {"Name": "sales", "CatalogId": ACCOUNT})


def test_create_then_commit_only_from_the_newest_version() -> None:
    async def run() -> None:
        core, catalog = _catalog()
        await _with_database(core)
        made = await catalog.create_table(
            ACCOUNT,
            REGION,
            "sales",
            "Orders",
            location="s3://lake/orders",
            columns=[TableColumn("id", "bigint")],
            parameters={"table_type": "ICEBERG", "metadata_location": "s3://lake/orders/metadata/0.json"},
        )
        assert (made.name, made.version_id, made.location) == ("orders", "0", "s3://lake/orders")
        with pytest.raises(CatalogError) as exists:
            await catalog.create_table(
                ACCOUNT, REGION, "sales", "orders", location="x", columns=[], parameters={}
            )
        assert exists.value.code == "AlreadyExistsException"

        swapped = await catalog.commit_parameters(
            ACCOUNT,
            REGION,
            "sales",
            "orders",
            version_id="0",
            parameters={"metadata_location": "s3://lake/orders/metadata/1.json"},
            columns=[TableColumn("id", "bigint"), TableColumn("name", "string")],
        )
        assert swapped.version_id == "1"
        assert swapped.parameters == {
            "table_type": "ICEBERG",
            "metadata_location": "s3://lake/orders/metadata/1.json",
        }
        assert [c.name for c in catalog.table(ACCOUNT, REGION, "sales", "orders").columns] == ["id", "name"]
        with pytest.raises(CatalogError) as stale:
            await catalog.commit_parameters(
                ACCOUNT, REGION, "sales", "orders", version_id="0", parameters={"metadata_location": "late"}
            )
        assert stale.value.code == "ConcurrentModificationException"
        assert (
            catalog.table(ACCOUNT, REGION, "sales", "orders", "0")
            .parameters["metadata_location"]
            .endswith("0.json")
        )

    asyncio.run(run())


def test_a_missing_database_or_table_is_glues_error() -> None:
    async def run() -> None:
        _, catalog = _catalog()
        with pytest.raises(CatalogError) as missing:
            await catalog.create_table(ACCOUNT, REGION, "nope", "t", location="x", columns=[], parameters={})
        assert missing.value.code == "EntityNotFoundException"
        with pytest.raises(CatalogError) as gone:
            await catalog.commit_parameters(ACCOUNT, REGION, "nope", "t", version_id="0", parameters={})
        assert gone.value.code == "EntityNotFoundException"

    asyncio.run(run())
