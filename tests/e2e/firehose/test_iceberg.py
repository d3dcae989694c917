"""The Apache Iceberg destination, end to end: tables made and read by pyiceberg's own Glue catalog
(a real client of Headwater's Glue and S3), a delivery stream writing JSON records into them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.glue import GlueCatalog
from pyiceberg.exceptions import NoSuchTableError

from tests.e2e.firehose.support import ROLE, objects
from tests.e2e.functions.support import ensure_role, python_function
from tests.e2e.support.s3 import wait_for

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("score", pa.float64())])


@pytest.fixture
def lake(endpoint: str, client: Callable[..., Any]) -> GlueCatalog:
    client("s3").create_bucket(Bucket="lake")
    credentials = {"access-key-id": "test", "secret-access-key": "test", "region": "us-east-1"}
    catalog = GlueCatalog(
        "headwater",
        **{f"glue.{k}": v for k, v in credentials.items()},
        **{f"s3.{k}": v for k, v in credentials.items()},
        **{"glue.endpoint": endpoint, "s3.endpoint": endpoint, "s3.force-virtual-addressing": "false"},
    )
    catalog.create_namespace("sales", {"location": "s3://lake/sales"})
    return catalog


def _stream(firehose: Any, name: str, tables: list[dict[str, Any]], **extra: Any) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        IcebergDestinationConfiguration={
            "RoleARN": ROLE,
            "CatalogConfiguration": {
                "CatalogARN": "arn:aws:glue:us-east-1:000000000000:catalog",
                "WarehouseLocation": "s3://lake/warehouse",
            },
            "DestinationTableConfigurationList": tables,
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
            "S3Configuration": {
                "RoleARN": ROLE,
                "BucketARN": "arn:aws:s3:::lake",
                "ErrorOutputPrefix": "errors/",
            },
            **extra,
        },
    )
    wait_for(
        lambda: (
            firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
                "DeliveryStreamStatus"
            ]
            == "ACTIVE"
        ),
        10,
        f"{name} ACTIVE",
    )


def _put(firehose: Any, name: str, rows: list[dict[str, Any]]) -> None:
    records = [{"Data": json.dumps(row).encode()} for row in rows]
    assert firehose.put_record_batch(DeliveryStreamName=name, Records=records)["FailedPutCount"] == 0


def _rows(lake: GlueCatalog, table: str, count: int) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]] | None:
        try:
            found = lake.load_table(table).scan().to_arrow().sort_by("id").to_pylist()
        except NoSuchTableError:  # a table the stream creates: not yet
            return None
        return found if len(found) == count else None

    return list(wait_for(read, 30, f"{count} rows in {table}"))


def test_records_become_rows_of_the_configured_table(lake: GlueCatalog, client: Callable[..., Any]) -> None:
    lake.create_table("sales.orders", schema=SCHEMA)
    firehose = client("firehose")
    _stream(firehose, "orders", [{"DestinationDatabaseName": "sales", "DestinationTableName": "orders"}])
    _put(firehose, "orders", [{"id": 1, "name": "a", "score": 1.5}, {"id": 2, "name": "b"}])
    assert _rows(lake, "sales.orders", 2) == [
        {"id": 1, "name": "a", "score": 1.5},
        {"id": 2, "name": "b", "score": None},
    ]
    glue = client("glue").get_table(DatabaseName="sales", Name="orders")["Table"]
    assert glue["Parameters"]["previous_metadata_location"].endswith(".metadata.json")
    assert int(glue["VersionId"]) >= 1


def test_updates_and_deletes_by_unique_keys(lake: GlueCatalog, client: Callable[..., Any]) -> None:
    lake.create_table("sales.customers", schema=SCHEMA)
    firehose = client("firehose")
    query = '{destinationDatabaseName: "sales", destinationTableName: "customers", operation: .op}'
    _stream(
        firehose,
        "customers",
        [{"DestinationDatabaseName": "sales", "DestinationTableName": "customers", "UniqueKeys": ["id"]}],
        ProcessingConfiguration={
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    ],
                }
            ],
        },
    )
    _put(firehose, "customers", [{"id": i, "name": f"c{i}", "score": 1.0, "op": "insert"} for i in (1, 2, 3)])
    _rows(lake, "sales.customers", 3)
    _put(
        firehose,
        "customers",
        [
            {"id": 2, "name": "changed", "score": 2.0, "op": "update"},
            {"id": 4, "name": "new", "score": 4.0, "op": "update"},
        ],
    )

    def updated() -> list[dict[str, Any]] | None:
        found = lake.load_table("sales.customers").scan().to_arrow().sort_by("id").to_pylist()
        return found if len(found) == 4 and found[1]["name"] == "changed" else None

    assert wait_for(updated, 30, "the upsert") == [
        {"id": 1, "name": "c1", "score": 1.0},
        {"id": 2, "name": "changed", "score": 2.0},
        {"id": 3, "name": "c3", "score": 1.0},
        {"id": 4, "name": "new", "score": 4.0},
    ]
    _put(firehose, "customers", [{"id": 1, "op": "delete"}])
    assert [r["id"] for r in _rows(lake, "sales.customers", 3)] == [2, 3, 4]


def test_jq_routes_records_to_two_tables_and_bad_records_to_the_error_output(
    lake: GlueCatalog, client: Callable[..., Any]
) -> None:
    lake.create_table("sales.eu", schema=SCHEMA)
    lake.create_table("sales.us", schema=SCHEMA)
    firehose = client("firehose")
    query = '{destinationDatabaseName: "sales", destinationTableName: .region}'
    _stream(
        firehose,
        "regions",
        [
            {"DestinationDatabaseName": "sales", "DestinationTableName": "eu"},
            {
                "DestinationDatabaseName": "sales",
                "DestinationTableName": "us",
                "S3ErrorOutputPrefix": "us-errors/",
            },
        ],
        ProcessingConfiguration={
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [{"ParameterName": "MetadataExtractionQuery", "ParameterValue": query}],
                }
            ],
        },
    )
    _put(
        firehose,
        "regions",
        [
            {"id": 1, "name": "paris", "region": "eu"},
            {"id": 2, "name": "ohio", "region": "us"},
            {"id": 3, "name": "rome", "region": "eu"},
            {"id": 4, "name": "oops", "region": "mars"},  # no such table
            {"id": "not a number", "region": "us"},  # does not fit the column
        ],
    )
    assert [(r["id"], r["name"]) for r in _rows(lake, "sales.eu", 2)] == [(1, "paris"), (3, "rome")]
    assert [(r["id"], r["name"]) for r in _rows(lake, "sales.us", 1)] == [(2, "ohio")]
    s3 = client("s3")
    missing = wait_for(lambda: objects(s3, "lake", "errors/"), 20, "the error output")
    documents = [json.loads(line) for _, body in missing for line in body.splitlines()]
    assert [d["errorCode"] for d in documents] == ["Iceberg.NoSuchTable"]
    assert json.loads(base64.b64decode(documents[0]["rawData"]))["name"] == "oops"
    assert {"attemptsMade", "arrivalTimestamp", "errorMessage", "attemptEndingTimestamp"} <= set(documents[0])
    mismatched = wait_for(lambda: objects(s3, "lake", "us-errors/"), 20, "the table's error output")
    documents = [json.loads(line) for _, body in mismatched for line in body.splitlines()]
    assert [d["errorCode"] for d in documents] == ["Iceberg.SchemaMismatch"]


def test_table_creation_and_schema_evolution(lake: GlueCatalog, client: Callable[..., Any]) -> None:
    firehose = client("firehose")
    _stream(
        firehose,
        "events",
        [{"DestinationDatabaseName": "sales", "DestinationTableName": "events"}],
        TableCreationConfiguration={"Enabled": True},
        SchemaEvolutionConfiguration={"Enabled": True},
    )
    _put(firehose, "events", [{"id": 1, "kind": "click"}])
    assert _rows(lake, "sales.events", 1) == [{"id": 1, "kind": "click"}]
    _put(firehose, "events", [{"id": 2, "kind": "view", "ms": 12.5}])
    assert _rows(lake, "sales.events", 2) == [
        {"id": 1, "kind": "click", "ms": None},
        {"id": 2, "kind": "view", "ms": 12.5},
    ]


ROUTER = """
import base64
import json


def handler(event, context):
    out = []
    for record in event["records"]:
        row = json.loads(base64.b64decode(record["data"]))
        otf = {"destinationDatabaseName": "sales", "destinationTableName": row.pop("table"),
               "operation": row.pop("op", "insert")}
        out.append({"recordId": record["recordId"], "result": "Ok",
                    "data": base64.b64encode(json.dumps(row).encode()).decode(),
                    "metadata": {"otfMetadata": otf}})
    return {"records": out}
"""


def test_a_lambda_routes_by_otf_metadata(lake: GlueCatalog, client: Callable[..., Any]) -> None:
    lake.create_table("sales.eu", schema=SCHEMA)
    lake.create_table("sales.us", schema=SCHEMA)
    ensure_role(client)
    arn = python_function(client("lambda"), "router", ROUTER)["FunctionArn"]
    firehose = client("firehose")
    lambda_processor = {
        "Type": "Lambda",
        "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": arn},
            {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "0"},
        ],
    }
    _stream(
        firehose,
        "routed",
        [{"DestinationDatabaseName": "sales", "DestinationTableName": "us", "UniqueKeys": ["id"]}],
        ProcessingConfiguration={"Enabled": True, "Processors": [lambda_processor]},
    )
    _put(
        firehose,
        "routed",
        [
            {"id": 1, "name": "paris", "table": "eu"},
            {"id": 2, "name": "ohio", "table": "us"},
            {"id": 3, "name": "rome", "table": "eu"},
        ],
    )
    assert [(r["id"], r["name"]) for r in _rows(lake, "sales.eu", 2)] == [(1, "paris"), (3, "rome")]
    assert [(r["id"], r["name"]) for r in _rows(lake, "sales.us", 1)] == [(2, "ohio")]
    _put(firehose, "routed", [{"id": 2, "name": "columbus", "table": "us", "op": "update"}])
    assert wait_for(
        lambda: lake.load_table("sales.us").scan().to_arrow().column("name").to_pylist() == ["columbus"],
        30,
        "the Lambda-routed update",
    )
