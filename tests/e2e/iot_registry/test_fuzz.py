"""Hostile input to the registry's operations never answers 5xx and never takes the server down:
each operation's valid request, then each member bent on its own (support/fuzz_sweep.py), against
a thing, type, group and billing group the requests name."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
from botocore.model import ServiceModel

from headwater.protocol.models import service_model
from headwater.services.iot.registry.api import OPERATIONS
from tests.e2e.support.fuzz import requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for

ARN = "arn:aws:iot:us-east-1:000000000000:thing/fuzz"
NAMES = {
    "thingName": "fuzz",
    "thingTypeName": "fuzz",
    "thingGroupName": "fuzz",
    "parentGroupName": "fuzz",
    "billingGroupName": "fuzz",
    "principal": "arn:aws:iot:us-east-1:000000000000:cert/" + "ff" * 32,
    "resourceArn": ARN,
    "thingArn": ARN,
}


class _Served:
    """The iot model with only the registry's operations."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self.operation_names = [name for name in model.operation_names if name in OPERATIONS]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _restore(iot: Any) -> None:
    from botocore.exceptions import ClientError

    for call, params in (
        (iot.create_thing_type, {"thingTypeName": "fuzz"}),
        (iot.create_thing_group, {"thingGroupName": "fuzz"}),
        (iot.create_billing_group, {"billingGroupName": "fuzz"}),
        (iot.create_thing, {"thingName": "fuzz"}),
    ):
        with contextlib.suppress(ClientError):  # it exists with other settings after a bent update
            call(**params)


def test_registry_operations_survive_bent_members(endpoint: str, client: Callable[..., Any]) -> None:
    iot = client("iot")
    _restore(iot)
    model: Any = _Served(service_model("iot"))
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
            if status >= 500:
                failures.append(f"{wire.operation} {what}: {status}")
            if wire.operation.startswith(("Delete", "Detach", "Remove", "Untag")):
                _restore(iot)
    assert failures == []
