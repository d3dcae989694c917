"""Hostile input to the registry's operations never answers 5xx and never takes the server down:
each operation's valid request, then each member bent on its own (support/fuzz_sweep.py), against
a thing, type, group and billing group the requests name."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from headwater.services.iot.registry.api import OPERATIONS
from tests.e2e.support.fuzz_sweep import sweep

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


def _restore_after(client: Any, operation: str) -> None:
    if operation.startswith(("Delete", "Detach", "Remove", "Untag")):
        _restore(client)


def test_registry_operations_survive_bent_members(endpoint: str, client: Callable[..., Any]) -> None:
    iot = client("iot")
    _restore(iot)
    failures = sweep(
        endpoint, "iot", OPERATIONS, NAMES, allow_501=False, after=lambda op: _restore_after(iot, op)
    )
    assert failures == []
