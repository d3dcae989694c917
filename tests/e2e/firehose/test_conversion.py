"""Record format conversion end to end: a Glue table made with boto3, JSON records put, the Parquet
(or ORC) object read back with pyarrow and DuckDB, the records that do not fit the table as
format-conversion-failed documents, a missing table, and the create-time checks."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import KEY, objects, s3_stream, wait_objects
from tests.e2e.support.server import Server

COLUMNS = [
    {"Name": "id", "Type": "int"},
    {"Name": "name", "Type": "string"},
    {"Name": "price", "Type": "double"},
    {"Name": "tags", "Type": "array<string>"},
]


@pytest.fixture
def firehose(client: Any) -> Any:
    return client("firehose")


@pytest.fixture
def s3(client: Any) -> Any:
    return client("s3")


@pytest.fixture
def glue(client: Any) -> Any:
    return client("glue")


def make_table(glue: Any, database: str, table: str) -> None:
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={"Name": table, "StorageDescriptor": {"Columns": COLUMNS}},
    )


def conversion(database: str, table: str, serializer: str = "ParquetSerDe", **extra: Any) -> dict[str, Any]:
    return {
        "SchemaConfiguration": {
            "RoleARN": "arn:aws:iam::000000000000:role/firehose",
            "DatabaseName": database,
            "TableName": table,
        },
        "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
        "OutputFormatConfiguration": {"Serializer": {serializer: {}}},
        **extra,
    }


def put(firehose: Any, stream: str, documents: list[Any]) -> None:
    records = [{"Data": d if isinstance(d, bytes) else json.dumps(d).encode()} for d in documents]
    firehose.put_record_batch(DeliveryStreamName=stream, Records=records)


def test_json_to_parquet(firehose: Any, s3: Any, glue: Any, server: Server, tmp_path: Any) -> None:
    make_table(glue, "conv_db", "orders")
    s3.create_bucket(Bucket="bucket-conv")
    s3_stream(
        firehose,
        "conv",
        "bucket-conv",
        size_mb=64,
        interval_s=60,
        Prefix="data/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
        DataFormatConversionConfiguration=conversion("conv_db", "orders"),
    )
    put(
        firehose,
        "conv",
        [
            {"id": 1, "name": "apple", "price": 1.5, "tags": ["red", "fruit"]},
            {"ID": 2, "Name": "pear", "price": 2, "extra": "ignored"},  # OpenX: case-insensitive
            b'{"id": "three", "name": "bad"}',  # not an int: fails alone
            b"not json",
        ],
    )
    server.advance(60)
    wait_objects(s3, "bucket-conv", 2)
    found = dict(objects(s3, "bucket-conv"))
    (data_key,) = [k for k in found if k.startswith("data/")]
    match = KEY.fullmatch(data_key)
    assert match and match["prefix"] == "data/" and match["ext"] == ".parquet"
    table = pq.read_table(io.BytesIO(found[data_key]))
    assert table.schema.field("id").type == pa.int32()
    assert table.schema.field("name").type == pa.string()
    assert table.schema.field("price").type == pa.float64()
    assert table.schema.field("tags").type == pa.list_(pa.string())
    assert table.to_pylist() == [
        {"id": 1, "name": "apple", "price": 1.5, "tags": ["red", "fruit"]},
        {"id": 2, "name": "pear", "price": 2.0, "tags": None},
    ]
    path = tmp_path / "orders.parquet"
    path.write_bytes(found[data_key])
    rows = duckdb.sql(
        f"SELECT id, name, price, typeof(id), typeof(price) FROM '{path}' ORDER BY id"
    ).fetchall()
    assert rows == [(1, "apple", 1.5, "INTEGER", "DOUBLE"), (2, "pear", 2.0, "INTEGER", "DOUBLE")]

    (error_key,) = [k for k in found if k.startswith("errors/")]
    assert error_key.startswith("errors/format-conversion-failed/")
    documents = [json.loads(line) for line in found[error_key].splitlines()]
    assert [base64.b64decode(d["rawData"]) for d in documents] == [
        b'{"id": "three", "name": "bad"}',
        b"not json",
    ]
    for document in documents:
        assert document["ErrorCode"] == "DataFormatConversion.MalformedData"
        assert document["ErrorMessage"]
        assert document["dataCatalogTable"] == {
            "catalogId": "000000000000",
            "databaseName": "conv_db",
            "tableName": "orders",
            "region": "us-east-1",
            "versionId": "LATEST",
            "catalogArn": "arn:aws:glue:us-east-1:000000000000:catalog",
        }
        assert "sequenceNumber" not in document  # DirectPut records have none


def test_orc_without_error_prefix_and_a_missing_table(
    firehose: Any, s3: Any, glue: Any, server: Server
) -> None:
    make_table(glue, "conv_orc", "items")
    s3.create_bucket(Bucket="bucket-orc")
    s3_stream(
        firehose,
        "conv-orc",
        "bucket-orc",
        size_mb=64,
        interval_s=60,
        Prefix="out/",
        DataFormatConversionConfiguration=conversion("conv_orc", "items", "OrcSerDe"),
    )
    put(firehose, "conv-orc", [{"id": 7, "name": "seven", "price": 7.7, "tags": []}])
    server.advance(60)
    ((key, body),) = wait_objects(s3, "bucket-orc", 1)
    assert key.endswith(".orc") and key.startswith("out/")
    assert orc.ORCFile(io.BytesIO(body)).read().to_pylist() == [
        {"id": 7, "name": "seven", "price": 7.7, "tags": []}
    ]
    # the table is read at delivery time: once it is gone, records go to the error output
    glue.delete_table(DatabaseName="conv_orc", Name="items")
    put(firehose, "conv-orc", [{"id": 8}])
    server.advance(60)
    found = wait_objects(s3, "bucket-orc", 1, prefix="out/format-conversion-failed/")
    (document,) = [json.loads(line) for line in found[0][1].splitlines()]
    assert document["ErrorCode"] == "DataFormatConversion.EntityNotFound"
    assert "could not be found" in document["ErrorMessage"]
    assert base64.b64decode(document["rawData"]) == b'{"id": 8}'


def test_conversion_disabled_delivers_json(firehose: Any, s3: Any, server: Server) -> None:
    s3.create_bucket(Bucket="bucket-noconv")
    s3_stream(
        firehose,
        "noconv",
        "bucket-noconv",
        size_mb=1,
        interval_s=60,
        DataFormatConversionConfiguration=conversion("none", "none", Enabled=False),
    )
    put(firehose, "noconv", [{"id": 1}])
    server.advance(60)
    ((key, body),) = wait_objects(s3, "bucket-noconv", 1)
    assert body == b'{"id": 1}' and KEY.fullmatch(key) and KEY.fullmatch(key)["ext"] == ""  # type: ignore[index]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"CompressionFormat": "GZIP"}, "CompressionFormat must be set to UNCOMPRESSED"),
        ({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60}}, "at least 64"),
        (
            {"DataFormatConversionConfiguration": {**conversion("d", "t"), "SchemaConfiguration": None}},
            "SchemaConfiguration is required",
        ),
        (
            {
                "DataFormatConversionConfiguration": {
                    **conversion("d", "t"),
                    "OutputFormatConfiguration": {"Serializer": {}},
                }
            },
            "Serializer is required",
        ),
    ],
)
def test_create_time_checks(firehose: Any, extra: dict[str, Any], message: str) -> None:
    config: dict[str, Any] = {
        "RoleARN": "arn:aws:iam::000000000000:role/firehose",
        "BucketARN": "arn:aws:s3:::bucket-checks",
        "DataFormatConversionConfiguration": conversion("d", "t"),
        **extra,
    }
    config["DataFormatConversionConfiguration"] = {
        k: v for k, v in config["DataFormatConversionConfiguration"].items() if v is not None
    }
    with pytest.raises(ClientError) as caught:
        firehose.create_delivery_stream(
            DeliveryStreamName="checks", ExtendedS3DestinationConfiguration=config
        )
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert message in caught.value.response["Error"]["Message"]
