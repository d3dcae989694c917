"""Kinesis channels to S3 Tables, end to end: a stream's JSON records become rows of an Iceberg
table in the table bucket's Glue catalog (`<account>:s3tablescatalog/<bucket>`), read back by
pyiceberg's own Glue catalog and by DuckDB; records that cannot be rows land in the dead-letter
bucket; a kill -9 loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.glue import GlueCatalog
from pyiceberg.exceptions import NoSuchTableError

from tests.e2e.firehose.support import objects
from tests.e2e.kinesis.test_channels import OWNER, create, on_demand, status
from tests.e2e.support.clients import client_for
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import Server, durable_server

TABLE_BUCKET = "tables"


def _catalog(endpoint: str) -> GlueCatalog:
    credentials = {"access-key-id": "test", "secret-access-key": "test", "region": "us-east-1"}
    return GlueCatalog(
        "s3tables",
        **{f"glue.{k}": v for k, v in credentials.items()},
        **{f"s3.{k}": v for k, v in credentials.items()},
        **{"glue.endpoint": endpoint, "s3.endpoint": endpoint, "s3.force-virtual-addressing": "false"},
        **{"glue.id": f"{OWNER}:s3tablescatalog/{TABLE_BUCKET}"},
    )


def _prepare(endpoint: str) -> GlueCatalog:
    """The table bucket's storage and namespace (what S3 Tables' CreateTableBucket and
    CreateNamespace would make)."""
    s3 = client_for(endpoint, "s3")
    s3.create_bucket(Bucket=TABLE_BUCKET)
    s3.create_bucket(Bucket="dlq")
    catalog = _catalog(endpoint)
    catalog.create_namespace("analytics")
    return catalog


def _tables_destination(compression: str = "ZSTD") -> dict[str, Any]:
    return {
        "DataFreshnessInSeconds": 300,
        "DeadLetterQueueS3Configuration": {
            "BucketARN": "arn:aws:s3:::dlq",
            "ExpectedBucketOwner": OWNER,
            "ErrorOutputPrefix": "failed/",
        },
        "S3TablesConfigurationList": [
            {
                "TableBucketARN": f"arn:aws:s3tables:us-east-1:{OWNER}:bucket/{TABLE_BUCKET}",
                "Namespace": "analytics",
                "TableName": "events",
                "CompressionType": compression,
            }
        ],
    }


def _put_rows(kinesis: Any, stream: str, rows: list[Any]) -> None:
    records = [
        {"Data": row if isinstance(row, bytes) else json.dumps(row).encode(), "PartitionKey": str(i)}
        for i, row in enumerate(rows)
    ]
    assert kinesis.put_records(StreamName=stream, Records=records)["FailedRecordCount"] == 0


def _rows(server: Server, catalog: GlueCatalog, ids: set[int]) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]] | None:
        server.advance(300)
        try:
            found = catalog.load_table("analytics.events").scan().to_arrow().to_pylist()
        except NoSuchTableError:  # the channel creates it with its first rows
            return None
        return found if ids <= {r["id"] for r in found} else None

    return list(wait_for(read, 30, f"{len(ids)} rows in analytics.events"))


def test_a_channel_writes_rows_into_an_s3_tables_table(kinesis: Any, server: Server, tmp_path: Path) -> None:
    catalog = _prepare(server.endpoint)
    arn = on_demand(kinesis, "orders")
    answer = create(kinesis, "orders-to-table", arn, S3TablesDestinationConfiguration=_tables_destination())
    assert answer["ChannelStatus"] == "CREATING"
    described = status(kinesis, answer["ChannelARN"], "ACTIVE")
    assert "ChannelStatusReason" not in described
    assert (
        described["S3TablesDestinationConfiguration"]["S3TablesConfigurationList"][0]["TableName"] == "events"
    )
    summary = kinesis.list_channels()["ChannelSummaries"][0]
    assert summary["ChannelDestinationType"] == "S3_TABLES" and summary["ChannelStatus"] == "ACTIVE"
    _put_rows(kinesis, "orders", [{"id": i, "item": f"item-{i}", "price": i * 1.5} for i in range(50)])
    _put_rows(kinesis, "orders", [b"not json"])
    rows = _rows(server, catalog, set(range(50)))
    assert sorted(rows, key=lambda r: r["id"])[:2] == [
        {"id": 0, "item": "item-0", "price": 0.0},
        {"id": 1, "item": "item-1", "price": 1.5},
    ]
    table = catalog.load_table("analytics.events")
    assert table.current_snapshot() is not None
    assert table.location().startswith(f"s3://{TABLE_BUCKET}/")
    # the committed data files are plain Parquet that DuckDB reads
    s3 = client_for(server.endpoint, "s3")
    paths = [task.file.file_path for task in table.scan().plan_files()]
    assert paths
    local = []
    for n, path in enumerate(paths):
        bucket, key = path.removeprefix("s3://").split("/", 1)
        target = tmp_path / f"part-{n}.parquet"
        target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        local.append(str(target))
    [(count, total)] = duckdb.sql(f"SELECT count(*), sum(price) FROM read_parquet({local!r})").fetchall()
    assert count >= 50 and total >= sum(i * 1.5 for i in range(50))
    assert pq.ParquetFile(local[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    # the record that is no row: in the dead-letter bucket, under the channel's error prefix
    failed = wait_for(lambda: objects(s3, "dlq", "failed/"), 30, "the failed record")
    document = json.loads(failed[0][1].splitlines()[0])
    assert document["errorCode"] == "Iceberg.InvalidRecord"
    kinesis.delete_channel(ChannelARN=answer["ChannelARN"])


def test_kill_9_then_rows_are_still_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        _prepare(server.endpoint)
        kinesis = client_for(server.endpoint, "kinesis")
        arn = on_demand(kinesis, "durable")
        answer = create(
            kinesis, "durable-t", arn, S3TablesDestinationConfiguration=_tables_destination("NONE")
        )
        status(kinesis, answer["ChannelARN"], "ACTIVE")
        _put_rows(kinesis, "durable", [{"id": i, "phase": "before"} for i in range(200)])
        server.kill()  # buffered (300 s freshness), never written: read again after the restart
        server = durable_server(data_dir).start()
        kinesis = client_for(server.endpoint, "kinesis")
        described = kinesis.describe_channel(ChannelARN=answer["ChannelARN"])["ChannelDescription"]
        assert described["ChannelStatus"] == "ACTIVE"
        _put_rows(kinesis, "durable", [{"id": 200 + i, "phase": "after"} for i in range(200)])
        rows = _rows(server, _catalog(server.endpoint), set(range(400)))
        assert {r["phase"] for r in rows} == {"before", "after"}
    finally:
        server.stop()


def test_a_missing_namespace_or_an_existing_table_fails_the_channel(kinesis: Any, server: Server) -> None:
    arn = on_demand(kinesis, "refused")
    answer = create(kinesis, "no-namespace", arn, S3TablesDestinationConfiguration=_tables_destination())
    described = status(kinesis, answer["ChannelARN"], "FAILED")
    assert "Namespace analytics not found" in described["ChannelStatusReason"]
    kinesis.delete_channel(ChannelARN=answer["ChannelARN"])
    catalog = _prepare(server.endpoint)
    catalog.create_table(
        "analytics.events", schema=pa.schema([("id", pa.int64())]), location=f"s3://{TABLE_BUCKET}/events"
    )
    wait_for(lambda: not kinesis.list_channels()["ChannelSummaries"], 10, "the failed channel deleted")
    answer = create(kinesis, "existing-table", arn, S3TablesDestinationConfiguration=_tables_destination())
    described = status(kinesis, answer["ChannelARN"], "FAILED")
    assert "already exists" in described["ChannelStatusReason"]
