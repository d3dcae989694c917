"""CreateDatabase, GetDatabase(s), UpdateDatabase, DeleteDatabase."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.glue import errors
from headwater.services.glue.core import Doc, GlueCore, db_key
from headwater.services.glue.paging import catalog_of, page

_FIELDS = ("Description", "LocationUri", "Parameters", "CreateTableDefaultPermissions", "TargetDatabase")


def _document(given: dict[str, Any], catalog: str, created: float) -> Doc:
    doc: Doc = {"Name": given["Name"].lower()}
    doc.update({name: given[name] for name in _FIELDS if name in given})
    doc.setdefault("Parameters", {})
    doc.setdefault(
        "CreateTableDefaultPermissions",
        [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}],
    )
    doc["CreateTime"] = created
    doc["CatalogId"] = catalog
    return doc


async def create_database(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    catalog = catalog_of(params, ctx.account)
    given = params["DatabaseInput"]
    if "FederatedDatabase" in given:
        raise errors.invalid("Federated databases are not supported.")
    key = db_key(catalog, ctx.region, given["Name"])
    if key in core.databases:
        raise errors.exists("Database already exists.")
    await core.put_database(key, _document(given, catalog, core.now()))


async def get_database(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    _, doc = core.database(catalog_of(params, ctx.account), ctx.region, params["Name"])
    return {"Database": doc}


async def get_databases(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    found = core.databases_of(catalog_of(params, ctx.account), ctx.region)
    chosen, token = page(found, lambda doc: str(doc["Name"]), params)
    wanted = params.get("AttributesToGet")
    if wanted:  # "NAME" is the only attribute the model allows; the name always comes back
        chosen = [{"Name": doc["Name"]} for doc in chosen]
    result: dict[str, Any] = {"DatabaseList": chosen}
    if token:
        result["NextToken"] = token
    return result


async def update_database(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    catalog = catalog_of(params, ctx.account)
    key, old = core.database(catalog, ctx.region, params["Name"])
    given = params["DatabaseInput"]
    if given["Name"].lower() != old["Name"]:
        raise errors.invalid("Renaming a database is not supported.")  # AWS: only via a new database
    await core.put_database(key, _document(given, catalog, old["CreateTime"]))


async def delete_database(core: GlueCore, params: dict[str, Any], ctx: RequestContext) -> None:
    key, _ = core.database(catalog_of(params, ctx.account), ctx.region, params["Name"])
    await core.delete_database(key)


OPERATIONS = {
    "CreateDatabase": create_database,
    "GetDatabase": get_database,
    "GetDatabases": get_databases,
    "UpdateDatabase": update_database,
    "DeleteDatabase": delete_database,
}
