"""The `TableCatalog` port: Glue tables as Firehose's format conversion and Iceberg destination
read them (the catalog id is the account's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.glue import errors
from headwater.services.glue.core import Doc, GlueCore, table_key
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
        return _view(doc)

    async def create_table(
        self,
        account: str,
        region: str,
        database: str,
        name: str,
        *,
        location: str,
        columns: Sequence[TableColumn],
        parameters: Mapping[str, str],
    ) -> CatalogTable:
        try:
            dkey, found = self._core.database(account, region, database)
            key = table_key(dkey, name)
            if key in self._core.tables:
                raise errors.exists("Table already exists.")
        except AwsError as error:
            raise CatalogError(error.code, error.message) from None
        now = self._core.now()
        doc: Doc = {
            "Name": name.lower(),
            "DatabaseName": found["Name"],
            "StorageDescriptor": {"Columns": _glue_columns(columns), "Location": location},
            "TableType": "EXTERNAL_TABLE",
            "Parameters": dict(parameters),
            "CreateTime": now,
            "UpdateTime": now,
            "Retention": 0,
            "PartitionKeys": [],
            "CreatedBy": f"arn:aws:iam::{account}:root",
            "IsRegisteredWithLakeFormation": False,
            "CatalogId": account,
            "VersionId": "0",
        }
        await self._core.create_table(key, doc)
        return _view(doc)

    async def commit_parameters(
        self,
        account: str,
        region: str,
        database: str,
        name: str,
        *,
        version_id: str,
        parameters: Mapping[str, str],
        columns: Sequence[TableColumn] | None = None,
    ) -> CatalogTable:
        try:
            key, old = self._core.table(account, region, database, name)
        except AwsError as error:
            raise CatalogError(error.code, error.message) from None
        # Checked and replaced before the first await: no other commit can interleave.
        if old["VersionId"] != version_id:
            raise CatalogError(
                "ConcurrentModificationException",
                f"Update table failed due to concurrent modifications: version {version_id} "
                "is not the latest",
            )
        doc = dict(old)
        doc["Parameters"] = {**old.get("Parameters", {}), **parameters}
        if columns is not None:
            doc["StorageDescriptor"] = {
                **(old.get("StorageDescriptor") or {}),
                "Columns": _glue_columns(columns),
            }
        doc["UpdateTime"] = self._core.now()
        doc["VersionId"] = str(int(old["VersionId"]) + 1)
        await self._core.put_table(key, doc)
        return _view(doc)


def _glue_columns(columns: Sequence[TableColumn]) -> list[dict[str, Any]]:
    return [
        {"Name": c.name, "Type": c.type, **({"Comment": c.comment} if c.comment else {})} for c in columns
    ]


def _view(doc: Doc) -> CatalogTable:
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
