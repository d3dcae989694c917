"""Hostile input to the Glue operations Headwater serves never answers 5xx (other than 501) and never
takes the server down: each operation's valid request, then each member bent on its own
(support/fuzz_sweep.py), against a database, table and partition the requests name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.services.glue.api import OPERATIONS
from tests.e2e.support.fuzz_sweep import sweep

NAMES = {"DatabaseName": "fuzz", "Name": "fuzz", "TableName": "fuzz", "CatalogId": "000000000000"}


def _restore(glue: Any) -> None:
    names = {db["Name"] for db in glue.get_databases()["DatabaseList"]}
    if "fuzz" not in names:
        glue.create_database(DatabaseInput={"Name": "fuzz"})
    if "fuzz" not in {t["Name"] for t in glue.get_tables(DatabaseName="fuzz")["TableList"]}:
        table = {"Name": "fuzz", "PartitionKeys": [{"Name": "k", "Type": "int"}]}
        glue.create_table(DatabaseName="fuzz", TableInput=table)
        glue.create_partition(DatabaseName="fuzz", TableName="fuzz", PartitionInput={"Values": ["1"]})


def _restore_after(client: Any, operation: str) -> None:
    if operation.startswith(("Delete", "BatchDelete")):
        _restore(client)


def test_glue_operations_survive_bent_members(endpoint: str, client: Callable[..., Any]) -> None:
    glue = client("glue")
    _restore(glue)
    failures = sweep(endpoint, "glue", OPERATIONS, NAMES, after=lambda op: _restore_after(glue, op))
    assert failures == []
    assert glue.get_database(Name="fuzz")["Database"]["Name"] == "fuzz"
