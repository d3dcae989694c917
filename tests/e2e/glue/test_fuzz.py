"""Hostile input to the Glue operations Headwater serves never answers 5xx (other than 501) and never
takes the server down: each operation's valid request, then each member bent on its own
(support/fuzz_sweep.py), against a database, table and partition the requests name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from botocore.model import ServiceModel

from headwater.protocol.models import service_model
from headwater.services.glue.api import OPERATIONS
from tests.e2e.support.fuzz import requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for

NAMES = {"DatabaseName": "fuzz", "Name": "fuzz", "TableName": "fuzz", "CatalogId": "000000000000"}


class _Served:
    """The glue model with only the operations Headwater serves (the rest all answer one error)."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self.operation_names = [name for name in model.operation_names if name in OPERATIONS]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _restore(glue: Any) -> None:
    names = {db["Name"] for db in glue.get_databases()["DatabaseList"]}
    if "fuzz" not in names:
        glue.create_database(DatabaseInput={"Name": "fuzz"})
    if "fuzz" not in {t["Name"] for t in glue.get_tables(DatabaseName="fuzz")["TableList"]}:
        table = {"Name": "fuzz", "PartitionKeys": [{"Name": "k", "Type": "int"}]}
        glue.create_table(DatabaseName="fuzz", TableInput=table)
        glue.create_partition(DatabaseName="fuzz", TableName="fuzz", PartitionInput={"Values": ["1"]})


def test_glue_operations_survive_bent_members(endpoint: str, client: Callable[..., Any]) -> None:
    glue = client("glue")
    _restore(glue)
    model: Any = _Served(service_model("glue"))
    wires = [("as built", wire) for wire in requests_for(model, NAMES)]
    assert {wire.operation for _, wire in wires} == set(OPERATIONS)
    failures = []
    with httpx.Client(timeout=httpx.Timeout(15.0)) as http:
        for what, wire in [*wires, *bends_for(model, NAMES)]:
            method, url, headers, body = signed(wire, endpoint)
            try:
                status = http.request(method, url, headers=headers, content=body).status_code
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
                continue
            if status >= 500 and status != 501:
                failures.append(f"{wire.operation} {what}: {status}")
            if wire.operation.startswith(("Delete", "BatchDelete")):
                _restore(glue)
    assert failures == []
    assert glue.get_database(Name="fuzz")["Database"]["Name"] == "fuzz"
