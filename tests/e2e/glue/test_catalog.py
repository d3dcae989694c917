"""The Glue Data Catalog through boto3: databases, tables and their versions, partitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def glue(client: Callable[..., Any]) -> Any:
    return client("glue")


def _error(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


COLUMNS = [{"Name": "id", "Type": "bigint"}, {"Name": "payload", "Type": "struct<a:int,b:array<string>>"}]


def _table(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "StorageDescriptor": {"Columns": COLUMNS, "Location": "s3://b/t/"},
        "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"}],
        "TableType": "EXTERNAL_TABLE",
        **extra,
    }


def test_databases(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "Sales", "Description": "d", "Parameters": {"k": "v"}})
    db = glue.get_database(Name="SALES")["Database"]
    assert (db["Name"], db["Description"], db["Parameters"], db["CatalogId"]) == (
        "sales",
        "d",
        {"k": "v"},
        "000000000000",
    )
    assert _error(glue.create_database, DatabaseInput={"Name": "sales"}) == (
        "AlreadyExistsException",
        "Database already exists.",
    )
    assert _error(glue.get_database, Name="nope") == ("EntityNotFoundException", "Database nope not found.")
    glue.update_database(Name="sales", DatabaseInput={"Name": "sales", "Description": "new"})
    assert glue.get_database(Name="sales")["Database"]["Description"] == "new"
    for i in range(5):
        glue.create_database(DatabaseInput={"Name": f"db{i}"})
    names = [
        d["Name"]
        for p in glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 2})
        for d in p["DatabaseList"]
    ]
    assert names == ["db0", "db1", "db2", "db3", "db4", "sales"]
    first = glue.get_databases(MaxResults=2)
    assert len(first["DatabaseList"]) == 2 and first["NextToken"]
    glue.delete_database(Name="sales")
    assert _error(glue.delete_database, Name="sales")[0] == "EntityNotFoundException"
    assert _error(glue.get_databases, NextToken="!!!")[0] == "InvalidInputException"


def test_tables_and_versions(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "db"})
    assert _error(glue.create_table, DatabaseName="other", TableInput=_table("t")) == (
        "EntityNotFoundException",
        "Database other not found.",
    )
    glue.create_table(DatabaseName="db", TableInput=_table("Events", Parameters={"classification": "json"}))
    assert (
        _error(glue.create_table, DatabaseName="db", TableInput=_table("events"))[0]
        == "AlreadyExistsException"
    )
    table = glue.get_table(DatabaseName="db", Name="events")["Table"]
    assert table["Name"] == "events" and table["VersionId"] == "0" and table["DatabaseName"] == "db"
    assert table["StorageDescriptor"]["Columns"] == COLUMNS
    assert _error(glue.get_table, DatabaseName="db", Name="x") == (
        "EntityNotFoundException",
        "Table x not found.",
    )

    glue.update_table(DatabaseName="db", TableInput=_table("events", Description="v1"), VersionId="0")
    glue.update_table(DatabaseName="db", TableInput=_table("events", Description="v2"))
    assert (
        _error(glue.update_table, DatabaseName="db", TableInput=_table("events"), VersionId="0")[0]
        == "ConcurrentModificationException"
    )
    assert glue.get_table(DatabaseName="db", Name="events")["Table"]["VersionId"] == "2"
    versions = glue.get_table_versions(DatabaseName="db", TableName="events")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["2", "1", "0"]
    assert (
        glue.get_table_version(DatabaseName="db", TableName="events", VersionId="1")["TableVersion"]["Table"][
            "Description"
        ]
        == "v1"
    )
    page = glue.get_table_versions(DatabaseName="db", TableName="events", MaxResults=2)
    rest = glue.get_table_versions(DatabaseName="db", TableName="events", NextToken=page["NextToken"])
    assert [v["VersionId"] for v in page["TableVersions"] + rest["TableVersions"]] == ["2", "1", "0"]
    glue.delete_table_version(DatabaseName="db", TableName="events", VersionId="0")
    errors = glue.batch_delete_table_version(
        DatabaseName="db", TableName="events", VersionIds=["1", "0", "2"]
    )["Errors"]
    assert [(e["VersionId"], e["ErrorDetail"]["ErrorCode"]) for e in errors] == [
        ("0", "EntityNotFoundException"),
        ("2", "InvalidInputException"),
    ]
    assert (
        _error(glue.get_table_version, DatabaseName="db", TableName="events", VersionId="1")[0]
        == "EntityNotFoundException"
    )
    glue.update_table(DatabaseName="db", TableInput=_table("events"), SkipArchive=True)
    assert [
        v["VersionId"]
        for v in glue.get_table_versions(DatabaseName="db", TableName="events")["TableVersions"]
    ] == ["3"]

    for name in ("a1", "a2", "b1"):
        glue.create_table(DatabaseName="db", TableInput=_table(name))
    assert [t["Name"] for t in glue.get_tables(DatabaseName="db", Expression="a.*")["TableList"]] == [
        "a1",
        "a2",
    ]
    pages = glue.get_paginator("get_tables").paginate(DatabaseName="db", PaginationConfig={"PageSize": 3})
    assert [t["Name"] for p in pages for t in p["TableList"]] == ["a1", "a2", "b1", "events"]
    errors = glue.batch_delete_table(DatabaseName="db", TablesToDelete=["a1", "zz"])["Errors"]
    assert errors == [
        {
            "TableName": "zz",
            "ErrorDetail": {"ErrorCode": "EntityNotFoundException", "ErrorMessage": "Table zz not found."},
        }
    ]
    glue.delete_table(DatabaseName="db", Name="a2")
    glue.delete_database(Name="db")
    glue.create_database(DatabaseInput={"Name": "db"})
    assert glue.get_tables(DatabaseName="db")["TableList"] == []


def test_partitions(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "db"})
    glue.create_table(DatabaseName="db", TableInput=_table("t"))

    def part(year: int, region: str) -> dict[str, Any]:
        return {
            "Values": [str(year), region],
            "StorageDescriptor": {"Location": f"s3://b/t/{year}/{region}/"},
        }

    glue.create_partition(DatabaseName="db", TableName="t", PartitionInput=part(2020, "eu"))
    assert _error(
        glue.create_partition, DatabaseName="db", TableName="t", PartitionInput=part(2020, "eu")
    ) == (
        "AlreadyExistsException",
        "Partition already exists.",
    )
    assert (
        _error(glue.create_partition, DatabaseName="db", TableName="t", PartitionInput={"Values": ["1"]})[0]
        == "InvalidInputException"
    )
    inputs = [part(year, region) for year in range(2000, 2030) for region in ("eu", "us")]
    errors = glue.batch_create_partition(DatabaseName="db", TableName="t", PartitionInputList=inputs[:100])[
        "Errors"
    ]
    assert [e["PartitionValues"] for e in errors] == [["2020", "eu"]]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException"
    got = glue.get_partition(DatabaseName="db", TableName="t", PartitionValues=["2005", "us"])["Partition"]
    assert got["StorageDescriptor"]["Location"] == "s3://b/t/2005/us/" and got["TableName"] == "t"
    assert _error(glue.get_partition, DatabaseName="db", TableName="t", PartitionValues=["1", "x"]) == (
        "EntityNotFoundException",
        "Cannot find partition.",
    )
    all_parts = [
        p
        for page in glue.get_paginator("get_partitions").paginate(
            DatabaseName="db", TableName="t", PaginationConfig={"PageSize": 7}
        )
        for p in page["Partitions"]
    ]
    assert len(all_parts) == 60 and len({tuple(p["Values"]) for p in all_parts}) == 60

    def select(expression: str) -> set[tuple[str, ...]]:
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName="db", TableName="t", Expression=expression
        )
        return {tuple(p["Values"]) for page in pages for p in page["Partitions"]}

    assert select("year > 2027 AND region = 'eu'") == {("2028", "eu"), ("2029", "eu")}
    assert select("year BETWEEN 2009 AND 2010 and region <> 'eu'") == {("2009", "us"), ("2010", "us")}
    assert select("year in (2001, 2003) AND region LIKE 'u%'") == {("2001", "us"), ("2003", "us")}
    assert select("(year = 2000 OR year = 2029) AND NOT region = 'us'") == {("2000", "eu"), ("2029", "eu")}
    assert (
        _error(glue.get_partitions, DatabaseName="db", TableName="t", Expression="nope = 1")[0]
        == "InvalidInputException"
    )
    segments = [
        {
            tuple(p["Values"])
            for p in glue.get_partitions(
                DatabaseName="db", TableName="t", Segment={"SegmentNumber": n, "TotalSegments": 3}
            )["Partitions"]
        }
        for n in range(3)
    ]
    assert sum(len(s) for s in segments) == 60 and len(set().union(*segments)) == 60
    found = glue.batch_get_partition(
        DatabaseName="db", TableName="t", PartitionsToGet=[{"Values": ["2001", "eu"]}, {"Values": ["1", "x"]}]
    )
    assert [p["Values"] for p in found["Partitions"]] == [["2001", "eu"]]
    glue.update_partition(
        DatabaseName="db",
        TableName="t",
        PartitionValueList=["2001", "eu"],
        PartitionInput={**part(2001, "eu"), "Parameters": {"x": "y"}},
    )
    assert glue.get_partition(DatabaseName="db", TableName="t", PartitionValues=["2001", "eu"])["Partition"][
        "Parameters"
    ] == {"x": "y"}
    glue.delete_partition(DatabaseName="db", TableName="t", PartitionValues=["2001", "eu"])
    assert (
        _error(glue.delete_partition, DatabaseName="db", TableName="t", PartitionValues=["2001", "eu"])[0]
        == "EntityNotFoundException"
    )
    glue.delete_table(DatabaseName="db", Name="t")
    glue.create_table(DatabaseName="db", TableInput=_table("t"))
    assert glue.get_partitions(DatabaseName="db", TableName="t")["Partitions"] == []


def test_edge_cases(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "db"})
    assert _error(glue.create_table, DatabaseName="db") == (
        "InvalidInputException",
        "TableInput is required.",
    )
    iceberg = {"IcebergInput": {"MetadataOperation": "CREATE"}}
    assert _error(glue.create_table, DatabaseName="db", Name="i", OpenTableFormatInput=iceberg)[0] == (
        "InvalidInputException"
    )
    glue.create_table(DatabaseName="db", TableInput={"Name": "flat"})
    table = glue.get_table(DatabaseName="db", Name="flat")["Table"]
    assert table["PartitionKeys"] == [] and table["Retention"] == 0
    assert _error(glue.get_partitions, DatabaseName="db", TableName="flat", Expression="x = 1")[0] == (
        "InvalidInputException"
    )
    glue.create_table(DatabaseName="db", TableInput=_table("p"))
    for bad in (
        "year >",
        "year = 'a' AND",
        "year === 1",
        "(year = 1",
        "year LIKE",
        "region IS NOTHING",
        "'a' = year",
    ):
        assert _error(glue.get_partitions, DatabaseName="db", TableName="p", Expression=bad)[0] == (
            "InvalidInputException"
        )
    existing = {"Values": ["2020", "eu"]}
    glue.create_partition(DatabaseName="db", TableName="p", PartitionInput=existing)
    errors = glue.batch_create_partition(
        DatabaseName="db", TableName="p", PartitionInputList=[existing, {"Values": ["1"]}]
    )["Errors"]
    assert [e["ErrorDetail"]["ErrorCode"] for e in errors] == [
        "AlreadyExistsException",
        "InvalidInputException",
    ]
    glue.create_partition(DatabaseName="db", TableName="p", PartitionInput={"Values": ["2021", "eu"]})
    assert (
        _error(
            glue.update_partition,
            DatabaseName="db",
            TableName="p",
            PartitionValueList=["2021", "eu"],
            PartitionInput=existing,
        )[0]
        == "AlreadyExistsException"
    )
    glue.update_partition(
        DatabaseName="db",
        TableName="p",
        PartitionValueList=["2021", "eu"],
        PartitionInput={"Values": ["2022", "eu"]},
    )
    values = [p["Values"] for p in glue.get_partitions(DatabaseName="db", TableName="p")["Partitions"]]
    assert values == [["2020", "eu"], ["2022", "eu"]]
    assert _error(glue.get_database, Name="db", CatalogId="abc")[0] == "InvalidInputException"
    assert glue.get_database(Name="db", CatalogId="000000000000")["Database"]["Name"] == "db"
    assert _error(glue.get_table_version, DatabaseName="db", TableName="p", VersionId="x")[0] == (
        "InvalidInputException"
    )


def test_s3_tables_federated_catalog_of_the_callers_account(glue: Any) -> None:
    catalog = "000000000000:s3tablescatalog/my-tables"
    glue.create_database(CatalogId=catalog, DatabaseInput={"Name": "analytics"})
    glue.create_table(CatalogId=catalog, DatabaseName="analytics", TableInput=_table("events"))
    assert (
        glue.get_table(CatalogId=catalog, DatabaseName="analytics", Name="events")["Table"]["CatalogId"]
        == catalog
    )
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == []  # the account's own catalog: apart
    for other in ("111122223333:s3tablescatalog/my-tables", "000000000000:othercatalog/x"):
        assert _error(glue.get_databases, CatalogId=other)[0] == "InvalidInputException"
