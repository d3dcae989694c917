"""Tables: Create/Get/Update/Delete/GetTables, BatchDeleteTable, and the versions UpdateTable
archives (GetTableVersion(s), DeleteTableVersion, BatchDeleteTableVersion)."""

from __future__ import annotations

import re
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.glue import errors
from headwater.services.glue.core import Doc, GlueCore, table_key
from headwater.services.glue.paging import catalog_of, decode_token, encode_token, page

_FIELDS = (
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "StorageDescriptor",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
)


def _document(given: dict[str, Any], database: str, catalog: str, created: float, now: float) -> Doc:
    doc: Doc = {"Name": given["Name"].lower(), "DatabaseName": database}
    doc.update({name: given[name] for name in _FIELDS if name in given})
    doc["CreateTime"] = created
    doc["UpdateTime"] = now
    doc["Retention"] = given.get("Retention", 0)
    doc["PartitionKeys"] = given.get("PartitionKeys", [])
    doc["CreatedBy"] = f"arn:aws:iam::{catalog}:root"
    doc["IsRegisteredWithLakeFormation"] = False
    doc["CatalogId"] = catalog
    return doc


def _table_input(params: dict[str, Any]) -> dict[str, Any]:
    given = params.get("TableInput")
    if given is None:
        if params.get("OpenTableFormatInput") or params.get("UpdateOpenTableFormatInput"):
            raise errors.invalid(
                "OpenTableFormatInput is not supported: create the Iceberg metadata with a client."
            )
        raise errors.invalid("TableInput is required.")
    for column in [*given.get("StorageDescriptor", {}).get("Columns", []), *given.get("PartitionKeys", [])]:
        if not column.get("Name"):
            raise errors.invalid("Column name cannot be empty.")
    return dict(given)


async def create_table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    catalog = catalog_of(params, ctx.account)
    dkey, database = core.database(catalog, ctx.region, params["DatabaseName"])
    given = _table_input(params)
    key = table_key(dkey, given["Name"])
    if key in core.tables:
        raise errors.exists("Table already exists.")
    now = core.now()
    doc = _document(given, database["Name"], catalog, now, now)
    doc["VersionId"] = "0"
    await core.create_table(key, doc)


async def get_table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    _, doc = core.table(catalog_of(params, ctx.account), ctx.region, params["DatabaseName"], params["Name"])
    return {"Table": doc}


def _name_filter(expression: str | None) -> re.Pattern[str] | None:
    """GetTables' Expression: a regular expression on names (Hive's `*` wildcard accepted)."""
    if not expression:
        return None
    for candidate in (expression, expression.replace("*", ".*")):
        try:
            return re.compile(candidate)
        except re.error:
            continue
    raise errors.invalid(f"Invalid expression: {expression}")


async def get_tables(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    dkey, _ = core.database(catalog_of(params, ctx.account), ctx.region, params["DatabaseName"])
    pattern = _name_filter(params.get("Expression"))
    found = [doc for _, doc in core.tables_of(dkey) if pattern is None or pattern.fullmatch(doc["Name"])]
    chosen, token = page(found, lambda doc: str(doc["Name"]), params)
    if params.get("AttributesToGet"):
        chosen = [{a: doc[a] for a in ("Name", *params["AttributesToGet"]) if a in doc} for doc in chosen]
    result: dict[str, Any] = {"TableList": chosen}
    if token:
        result["NextToken"] = token
    return result


async def update_table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    catalog = catalog_of(params, ctx.account)
    given = _table_input(params)
    name = params.get("Name") or given["Name"]
    key, old = core.table(catalog, ctx.region, params["DatabaseName"], name)
    if given["Name"].lower() != old["Name"]:
        raise errors.invalid("Renaming a table is not supported.")
    expected = params.get("VersionId")
    if expected is not None and expected != old["VersionId"]:
        raise errors.concurrent(
            f"Update table failed due to concurrent modifications: version {expected} is not the latest"
        )
    doc = _document(given, old["DatabaseName"], catalog, old["CreateTime"], core.now())
    doc["VersionId"] = str(int(old["VersionId"]) + 1)
    await core.put_table(key, doc, drop_version=old["VersionId"] if params.get("SkipArchive") else None)


async def delete_table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    key, _ = core.table(catalog_of(params, ctx.account), ctx.region, params["DatabaseName"], params["Name"])
    await core.delete_table(key)


async def batch_delete_table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    dkey, _ = core.database(catalog_of(params, ctx.account), ctx.region, params["DatabaseName"])
    failed: list[dict[str, Any]] = []
    for name in params["TablesToDelete"]:
        key = table_key(dkey, name)
        if key not in core.tables:
            detail = {"ErrorCode": "EntityNotFoundException", "ErrorMessage": f"Table {name} not found."}
            failed.append({"TableName": name, "ErrorDetail": detail})
        else:
            await core.delete_table(key)
    return {"Errors": failed}


def _version_id(value: str) -> str:
    if not value.isdigit():
        raise errors.invalid(f"Invalid version id: {value}")  # versions are decimal counters
    return str(int(value))


async def get_table_version(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key, current = core.table(
        catalog_of(params, ctx.account), ctx.region, params["DatabaseName"], params["TableName"]
    )
    wanted = params.get("VersionId")
    if wanted is None:
        return {"TableVersion": {"Table": current, "VersionId": current["VersionId"]}}
    doc = core.version(key, _version_id(wanted))
    if doc is None:
        raise errors.version_not_found(current["Name"], wanted)
    return {"TableVersion": {"Table": doc, "VersionId": doc["VersionId"]}}


async def get_table_versions(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key, _ = core.table(
        catalog_of(params, ctx.account), ctx.region, params["DatabaseName"], params["TableName"]
    )
    newest_first = sorted(core.versions(key), key=lambda doc: -int(doc["VersionId"]))
    after = decode_token(params.get("NextToken"))
    if after is not None:
        newest_first = [doc for doc in newest_first if int(doc["VersionId"]) < int(after or 0)]
    limit = params.get("MaxResults") or 100
    chosen = newest_first[:limit]
    result: dict[str, Any] = {"TableVersions": [{"Table": d, "VersionId": d["VersionId"]} for d in chosen]}
    if len(newest_first) > limit:
        result["NextToken"] = encode_token(chosen[-1]["VersionId"])
    return result


async def _delete_versions(
    core: GlueCore, params: dict[str, Any], ctx: RequestContext, versions: list[str]
) -> list[dict[str, Any]]:
    key, current = core.table(
        catalog_of(params, ctx.account), ctx.region, params["DatabaseName"], params["TableName"]
    )
    failed, doomed = [], []
    for given in versions:
        version = _version_id(given)
        if version == current["VersionId"]:
            code, message = "InvalidInputException", "Cannot delete the current version of a table."
        elif core.version(key, version) is None:
            code, message = (
                "EntityNotFoundException",
                f"Version {given} of table {current['Name']} not found.",
            )
        else:
            doomed.append(version)
            continue
        detail = {"ErrorCode": code, "ErrorMessage": message}
        failed.append({"TableName": current["Name"], "VersionId": given, "ErrorDetail": detail})
    await core.delete_versions(key, doomed)
    return failed


async def delete_table_version(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    failed = await _delete_versions(core, params, ctx, [params["VersionId"]])
    if failed:
        detail = failed[0]["ErrorDetail"]
        if detail["ErrorCode"] == "EntityNotFoundException":
            raise errors.not_found(detail["ErrorMessage"])
        raise errors.invalid(detail["ErrorMessage"])


async def batch_delete_table_version(
    core: GlueCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return {"Errors": await _delete_versions(core, params, ctx, params["VersionIds"])}


OPERATIONS = {
    "CreateTable": create_table,
    "GetTable": get_table,
    "GetTables": get_tables,
    "UpdateTable": update_table,
    "DeleteTable": delete_table,
    "BatchDeleteTable": batch_delete_table,
    "GetTableVersion": get_table_version,
    "GetTableVersions": get_table_versions,
    "DeleteTableVersion": delete_table_version,
    "BatchDeleteTableVersion": batch_delete_table_version,
}
