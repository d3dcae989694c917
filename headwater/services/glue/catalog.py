"""The `TableCatalog` port: Glue tables as Firehose's format conversion and Iceberg destination
read them (the catalog id is the account's)."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.glue.core import GlueCore
from headwater.services.ports import CatalogError, CatalogTable, TableColumn


def _columns(given: list[dict[str, Any]]) -> tuple[TableColumn, ...]:
    return tuple(TableColumn(c["Name"], c.get("Type", "string"), c.get("Comment")) for c in given)


class GlueTableCatalog:
    def __init__(self, core: GlueCore) -> None:
        self._core = core

    def table(
        self, account: str, region: str, database: str, name: str, version_id: str | None = None
    ) -> CatalogTable:
        try:
            key, doc = self._core.table(account, region, database, name)
        except AwsError as error:
            raise CatalogError(error.code, error.message) from None
        if version_id not in (None, "LATEST", doc["VersionId"]):
            found = self._core.version(key, version_id) if str(version_id).isdigit() else None
            if found is None:
                raise CatalogError(
                    "EntityNotFoundException", f"Version {version_id} of table {name} not found."
                )
            doc = found
        storage = doc.get("StorageDescriptor") or {}
        return CatalogTable(
            database=doc["DatabaseName"],
            name=doc["Name"],
            version_id=doc["VersionId"],
            columns=_columns(storage.get("Columns", [])),
            partition_keys=_columns(doc.get("PartitionKeys", [])),
            table_type=doc.get("Parameters", {}).get("table_type") or doc.get("TableType"),
            location=storage.get("Location"),
            parameters=dict(doc.get("Parameters", {})),
        )
