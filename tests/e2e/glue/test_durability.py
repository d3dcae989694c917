"""Databases, tables, their versions and partitions survive kill -9."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server


def test_catalog_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        glue = client_for(server.endpoint, "glue")
        glue.create_database(DatabaseInput={"Name": "db", "Parameters": {"k": "v"}})
        table = {
            "Name": "t",
            "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]},
            "PartitionKeys": [{"Name": "day", "Type": "string"}],
        }
        glue.create_table(DatabaseName="db", TableInput=table)
        glue.update_table(DatabaseName="db", TableInput={**table, "Description": "v1"})
        for start in range(0, 300, 100):
            glue.batch_create_partition(
                DatabaseName="db",
                TableName="t",
                PartitionInputList=[{"Values": [f"d{i:04}"]} for i in range(start, start + 100)],
            )
        glue.create_table(DatabaseName="db", TableInput={**table, "Name": "gone"})
        glue.create_partition(DatabaseName="db", TableName="gone", PartitionInput={"Values": ["x"]})
        glue.delete_table(DatabaseName="db", Name="gone")
        server.kill()

        server = durable_server(data_dir).start()
        glue = client_for(server.endpoint, "glue")
        assert glue.get_database(Name="db")["Database"]["Parameters"] == {"k": "v"}
        assert glue.get_table(DatabaseName="db", Name="t")["Table"]["Description"] == "v1"
        versions = glue.get_table_versions(DatabaseName="db", TableName="t")["TableVersions"]
        assert [v["VersionId"] for v in versions] == ["1", "0"]
        pages = glue.get_paginator("get_partitions").paginate(DatabaseName="db", TableName="t")
        assert [p["Values"][0] for page in pages for p in page["Partitions"]] == [
            f"d{i:04}" for i in range(300)
        ]
        glue.create_table(DatabaseName="db", TableInput={**table, "Name": "gone"})
        assert glue.get_partitions(DatabaseName="db", TableName="gone")["Partitions"] == []
    finally:
        server.stop()
