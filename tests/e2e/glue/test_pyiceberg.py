"""The real-client proof: pyiceberg's Glue catalog, pointed at Headwater, creates a namespace and
an Iceberg table, appends rows (data and metadata in Headwater's S3) and reads them back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
from pyiceberg.catalog.glue import GlueCatalog


def test_pyiceberg_glue_catalog_round_trip(endpoint: str, client: Callable[..., Any]) -> None:
    s3, glue = client("s3"), client("glue")
    s3.create_bucket(Bucket="lake")
    credentials = {"access-key-id": "test", "secret-access-key": "test", "region": "us-east-1"}
    catalog = GlueCatalog(
        "headwater",
        **{f"glue.{k}": v for k, v in credentials.items()},
        **{f"s3.{k}": v for k, v in credentials.items()},
        **{"glue.endpoint": endpoint, "s3.endpoint": endpoint, "s3.force-virtual-addressing": "false"},
    )
    catalog.create_namespace("analytics", {"location": "s3://lake/analytics"})
    assert ("analytics",) in catalog.list_namespaces()
    rows = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "name": pa.array(["a", "b", None], pa.string()),
            "score": pa.array([1.5, 2.5, 3.5], pa.float64()),
        }
    )
    table = catalog.create_table("analytics.events", schema=rows.schema)
    table.append(rows)
    table.append(rows.slice(0, 1))

    read = catalog.load_table("analytics.events").scan().to_arrow().sort_by("id")
    assert read.column("id").to_pylist() == [1, 1, 2, 3]
    assert read.column("name").to_pylist() == ["a", "a", "b", None]

    described = glue.get_table(DatabaseName="analytics", Name="events")["Table"]
    assert described["Parameters"]["table_type"] == "ICEBERG"
    location = described["Parameters"]["metadata_location"]
    assert location.startswith("s3://lake/analytics/events/metadata/") and location.endswith(".metadata.json")
    assert described["VersionId"] == "2"  # created, then one commit per append
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="analytics/events/")["Contents"]]
    assert location.removeprefix("s3://lake/") in keys
    assert sum(key.endswith(".parquet") for key in keys) == 2
    assert [t.name if hasattr(t, "name") else t[-1] for t in catalog.list_tables("analytics")] == ["events"]
    catalog.drop_table("analytics.events")
    assert glue.get_tables(DatabaseName="analytics")["TableList"] == []
