"""Hostile input to the topic rule and destination operations never answers 5xx (other than 501)
and never takes the server down: each operation's valid request, then each member bent on its own
(support/fuzz_sweep.py), against a rule and a destination they name."""

from __future__ import annotations

from headwater.services.iot.rules.api import OPERATIONS
from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot_rules.support import ROLE, rule
from tests.e2e.support.fuzz_sweep import sweep


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
    failures = sweep(relaxed.server.endpoint, "iot", OPERATIONS, names)
    assert failures == []
    assert iot.list_topic_rules()["rules"] is not None
