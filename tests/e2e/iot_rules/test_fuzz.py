"""Hostile input to the topic rule and destination operations never answers 5xx (other than 501)
and never takes the server down: each operation's valid request, then each member bent on its own
(support/fuzz_sweep.py), against a rule and a destination they name."""

from __future__ import annotations

from typing import Any

import httpx
from botocore.model import ServiceModel

from headwater.protocol.models import service_model
from headwater.services.iot.rules.api import OPERATIONS
from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot_rules.support import ROLE, rule
from tests.e2e.support.fuzz import requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for


class _Served:
    """The iot model with only the rules engine's operations."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self.operation_names = [name for name in model.operation_names if name in OPERATIONS]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def test_rule_operations_survive_bent_members(relaxed: Gateway) -> None:
    iot = relaxed.iot()
    sqs = {"sqs": {"queueUrl": "http://localhost/000000000000/q", "roleArn": ROLE}}
    iot.create_topic_rule(ruleName="fuzz_rule", topicRulePayload=rule("SELECT * FROM 'f/#'", sqs))
    made = iot.create_topic_rule_destination(
        destinationConfiguration={"httpUrlConfiguration": {"confirmationUrl": "http://127.0.0.1:9/fuzz"}}
    )["topicRuleDestination"]
    names = {
        "ruleName": "fuzz_rule",
        "sql": "SELECT * FROM 'f/#'",
        "arn": made["arn"],
        "confirmationToken": "0" * 64,
        "confirmationUrl": "http://127.0.0.1:9/fuzz",
        "url": "http://127.0.0.1:9/fuzz",
        "awsIotSqlVersion": "2016-03-23",
    }
    model: Any = _Served(service_model("iot"))
    wires = [("as built", wire) for wire in requests_for(model, names)]
    assert {wire.operation for _, wire in wires} == set(OPERATIONS)
    failures = []
    with httpx.Client(timeout=httpx.Timeout(15.0)) as http:
        for what, wire in [*wires, *bends_for(model, names)]:
            method, url, headers, body = signed(wire, relaxed.server.endpoint)
            try:
                status = http.request(method, url, headers=headers, content=body).status_code
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
                continue
            if status >= 500 and status != 501:
                failures.append(f"{wire.operation} {what}: {status}")
    assert failures == []
    assert iot.list_topic_rules()["rules"] is not None
