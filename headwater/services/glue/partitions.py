"""Partitions: Create/Get/Update/Delete, BatchCreate/BatchGet, GetPartitions (Expression, Segment,
NextToken, MaxResults), stored row by row in the ordered store under their table."""

from __future__ import annotations

import zlib
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.glue import errors
from headwater.services.glue.core import Doc, GlueCore, partition_key
from headwater.services.glue.expression import compile_expression
from headwater.services.glue.paging import catalog_of, decode_token, encode_token

_FIELDS = ("LastAccessTime", "StorageDescriptor", "Parameters", "LastAnalyzedTime")


def _table(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> tuple[str, Doc, str]:
    catalog = catalog_of(params, ctx.account)
    key, table = core.table(catalog, ctx.region, params["DatabaseName"], params["TableName"])
    return key, table, catalog


def _check(table: Doc, values: list[str]) -> None:
    if len(values) != len(table.get("PartitionKeys", [])):
        raise errors.invalid("The number of partition keys do not match the number of partition values")


def _document(given: dict[str, Any], table: Doc, catalog: str, created: float) -> Doc:
    doc: Doc = {"Values": list(given.get("Values", [])), "DatabaseName": table["DatabaseName"]}
    doc["TableName"] = table["Name"]
    doc["CreationTime"] = created
    doc.update({name: given[name] for name in _FIELDS if name in given})
    doc["CatalogId"] = catalog
    return doc


def _detail(error: Exception) -> dict[str, str]:
    return {
        "ErrorCode": getattr(error, "code", "InternalServiceException"),
        "ErrorMessage": getattr(error, "message", str(error)),
    }


async def create_partition(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    key, table, catalog = _table(core, params, ctx)
    given = params["PartitionInput"]
    _check(table, given.get("Values", []))
    if core.partition(key, given.get("Values", [])) is not None:
        raise errors.exists("Partition already exists.")
    await core.put_partitions(key, [_document(given, table, catalog, core.now())])


async def batch_create_partition(
    core: GlueCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key, table, catalog = _table(core, params, ctx)
    made: dict[str, Doc] = {}
    failed: list[dict[str, Any]] = []
    for given in params["PartitionInputList"]:
        values = given.get("Values", [])
        try:
            _check(table, values)
            if partition_key(key, values) in made or core.partition(key, values) is not None:
                raise errors.exists("Partition already exists.")
        except Exception as error:  # AwsError: reported per partition, the others are made
            failed.append({"PartitionValues": values, "ErrorDetail": _detail(error)})
            continue
        made[partition_key(key, values)] = _document(given, table, catalog, core.now())
    await core.put_partitions(key, list(made.values()))
    return {"Errors": failed}


async def get_partition(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key, _, _ = _table(core, params, ctx)
    found = core.partition(key, params["PartitionValues"])
    if found is None:
        raise errors.partition_not_found()
    return {"Partition": found}


async def batch_get_partition(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key, _, _ = _table(core, params, ctx)
    found = [core.partition(key, wanted["Values"]) for wanted in params["PartitionsToGet"]]
    return {"Partitions": [doc for doc in found if doc is not None], "UnprocessedKeys": []}


async def update_partition(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    key, table, catalog = _table(core, params, ctx)
    old = core.partition(key, params["PartitionValueList"])
    if old is None:
        raise errors.partition_not_found()
    given = params["PartitionInput"]
    values = given.get("Values") or old["Values"]
    _check(table, values)
    doc = _document({**given, "Values": values}, table, catalog, old["CreationTime"])
    if values != old["Values"]:
        if core.partition(key, values) is not None:
            raise errors.exists("Partition already exists.")
        await core.delete_partition(key, old["Values"])
    await core.put_partitions(key, [doc])


async def delete_partition(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    key, _, _ = _table(core, params, ctx)
    if core.partition(key, params["PartitionValues"]) is None:
        raise errors.partition_not_found()
    await core.delete_partition(key, params["PartitionValues"])


async def get_partitions(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key, table, _ = _table(core, params, ctx)
    names = [column["Name"].lower() for column in table.get("PartitionKeys", [])]
    expression = params.get("Expression")
    matches = None
    if expression:
        types = {column["Name"]: column.get("Type", "string") for column in table.get("PartitionKeys", [])}
        matches = compile_expression(expression, types)
    segment = params.get("Segment")
    if segment and not 0 <= segment["SegmentNumber"] < segment["TotalSegments"]:
        raise errors.invalid("SegmentNumber must be less than TotalSegments.")
    limit = params.get("MaxResults") or 1000
    chosen: list[Doc] = []
    last: str | None = None
    more = False
    for row, doc in core.partitions(key, decode_token(params.get("NextToken"))):
        if segment and zlib.crc32(row.encode()) % segment["TotalSegments"] != segment["SegmentNumber"]:
            continue
        if matches is not None and not matches(dict(zip(names, doc["Values"], strict=False))):
            continue
        if len(chosen) == limit:
            more = True
            break
        chosen.append(doc)
        last = row
    if params.get("ExcludeColumnSchema"):
        for doc in chosen:
            doc.get("StorageDescriptor", {}).pop("Columns", None)
    result: dict[str, Any] = {"Partitions": chosen}
    if more and last is not None:
        result["NextToken"] = encode_token(last)
    return result


OPERATIONS = {
    "CreatePartition": create_partition,
    "BatchCreatePartition": batch_create_partition,
    "GetPartition": get_partition,
    "BatchGetPartition": batch_get_partition,
    "UpdatePartition": update_partition,
    "DeletePartition": delete_partition,
    "GetPartitions": get_partitions,
}
