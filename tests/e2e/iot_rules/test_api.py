"""The topic rule API through boto3: create, get, list (filters, pages), replace, enable, disable,
delete, and AWS's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot_rules.support import ROLE, rule

SQS = {"sqs": {"queueUrl": "http://localhost:4566/000000000000/q", "roleArn": ROLE}}


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_rule_lifecycle(relaxed: Gateway) -> None:
    iot = relaxed.iot()
    iot.create_topic_rule(
        ruleName="life_a",
        topicRulePayload=rule("SELECT * FROM 'a/#'", SQS, description="first"),
        tags="env=dev",
    )
    iot.create_topic_rule(
        ruleName="life_b",
        topicRulePayload=rule("SELECT * FROM 'b/+'", SQS, ruleDisabled=True, awsIotSqlVersion="2016-03-23"),
    )
    got = iot.get_topic_rule(ruleName="life_a")
    assert got["ruleArn"] == "arn:aws:iot:us-east-1:000000000000:rule/life_a"
    assert got["rule"]["sql"] == "SELECT * FROM 'a/#'" and got["rule"]["description"] == "first"
    assert got["rule"]["awsIotSqlVersion"] == "2015-10-08" and got["rule"]["ruleDisabled"] is False
    assert got["rule"]["actions"] == [SQS]
    assert iot.list_tags_for_resource(resourceArn=got["ruleArn"])["tags"] == [{"Key": "env", "Value": "dev"}]
    names = [r["ruleName"] for r in iot.list_topic_rules()["rules"]]
    assert {"life_a", "life_b"} <= set(names)
    disabled = iot.list_topic_rules(ruleDisabled=True)["rules"]
    assert [r["ruleName"] for r in disabled if r["ruleName"].startswith("life")] == ["life_b"]
    [item] = iot.list_topic_rules(topic="b/+")["rules"]
    assert item["topicPattern"] == "b/+" and item["ruleDisabled"] is True
    first = iot.list_topic_rules(maxResults=1)
    assert len(first["rules"]) == 1 and first["nextToken"]
    rest = iot.list_topic_rules(nextToken=first["nextToken"])["rules"]
    assert first["rules"][0]["ruleName"] not in [r["ruleName"] for r in rest]
    iot.enable_topic_rule(ruleName="life_b")
    assert iot.get_topic_rule(ruleName="life_b")["rule"]["ruleDisabled"] is False
    iot.disable_topic_rule(ruleName="life_a")
    assert iot.get_topic_rule(ruleName="life_a")["rule"]["ruleDisabled"] is True
    iot.replace_topic_rule(ruleName="life_a", topicRulePayload=rule("SELECT * FROM 'z/+'", SQS))
    replaced = iot.get_topic_rule(ruleName="life_a")["rule"]
    assert replaced["sql"] == "SELECT * FROM 'z/+'" and replaced["createdAt"] == got["rule"]["createdAt"]
    iot.delete_topic_rule(ruleName="life_a")
    assert _error(lambda: iot.get_topic_rule(ruleName="life_a")) == ("UnauthorizedException", 401)
    assert _error(lambda: iot.delete_topic_rule(ruleName="life_a")) == ("UnauthorizedException", 401)


def test_bad_rules_are_refused(relaxed: Gateway) -> None:
    iot = relaxed.iot()
    bad_sql = rule("SELEC nonsense", SQS)
    assert _error(lambda: iot.create_topic_rule(ruleName="bad_sql", topicRulePayload=bad_sql)) == (
        "SqlParseException",
        400,
    )
    good = rule("SELECT * FROM 'x'", SQS)
    assert _error(lambda: iot.create_topic_rule(ruleName="bad-name", topicRulePayload=good))[0] in (
        "InvalidRequestException",
        "ValidationException",
    )
    iot.create_topic_rule(ruleName="twice", topicRulePayload=good)
    assert _error(lambda: iot.create_topic_rule(ruleName="twice", topicRulePayload=good)) == (
        "ResourceAlreadyExistsException",
        409,
    )
    many = rule("SELECT * FROM 'x'", *([SQS] * 11))
    assert _error(lambda: iot.create_topic_rule(ruleName="many", topicRulePayload=many))[0] in (
        "InvalidRequestException",
        "ValidationException",
    )
    two_kinds = rule(
        "SELECT * FROM 'x'", {**SQS, "lambda": {"functionArn": "arn:aws:lambda:us-east-1:0:function:f"}}
    )
    assert _error(lambda: iot.create_topic_rule(ruleName="two_kinds", topicRulePayload=two_kinds)) == (
        "InvalidRequestException",
        400,
    )
    no_destination = rule("SELECT * FROM 'x'", {"http": {"url": "https://example.invalid/hook"}})
    assert _error(lambda: iot.create_topic_rule(ruleName="no_dest", topicRulePayload=no_destination)) == (
        "InvalidRequestException",
        400,
    )
