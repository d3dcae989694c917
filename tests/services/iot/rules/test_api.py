"""The rule and destination operations on the rules part: AWS's errors, the confirmation flow's
states, paging."""

from __future__ import annotations

import asyncio
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.iot.rules import api, destinations
from headwater.services.iot.rules.part import RulesPart
from tests.services.iot.rules.test_runtime import CTX, World

HOOK = "http://127.0.0.1:9/hook"  # nothing listens: the confirmation request fails, the flow goes on


async def _error(call: Any) -> str:
    try:
        await call
    except AwsError as error:
        return error.code
    raise AssertionError("no error")


def test_destination_confirmation_flow_and_http_rules() -> None:
    async def scenario() -> None:
        part: RulesPart = World().part()
        await part.start()
        config = {"destinationConfiguration": {"httpUrlConfiguration": {"confirmationUrl": HOOK}}}
        made = (await destinations.create_topic_rule_destination(part, config, CTX))["topicRuleDestination"]
        assert made["status"] == "IN_PROGRESS" and made["httpUrlProperties"] == {"confirmationUrl": HOOK}
        assert await _error(destinations.create_topic_rule_destination(part, config, CTX)) == (
            "ResourceAlreadyExistsException"
        )
        enable = {"arn": made["arn"], "status": "ENABLED"}
        assert await _error(destinations.update_topic_rule_destination(part, enable, CTX)) == (
            "InvalidRequestException"
        )
        bad = {"confirmationToken": "nope"}
        assert (
            await _error(destinations.confirm_topic_rule_destination(part, bad, CTX))
            == "InvalidRequestException"
        )
        token = part.store.destinations[made["arn"]].token
        await destinations.confirm_topic_rule_destination(part, {"confirmationToken": token}, CTX)
        got = await destinations.get_topic_rule_destination(part, {"arn": made["arn"]}, CTX)
        assert got["topicRuleDestination"]["status"] == "ENABLED"
        # an http action needs a destination for its (confirmation) URL; a templated URL names one
        http = {"sql": "SELECT * FROM 'x'", "actions": [{"http": {"url": "http://other.invalid/h"}}]}
        assert await _error(
            api.create_topic_rule(part, {"ruleName": "h1", "topicRulePayload": http}, CTX)
        ) == ("InvalidRequestException")
        templated = {"sql": "SELECT * FROM 'x'", "actions": [{"http": {"url": HOOK + "/${topic()}"}}]}
        assert await _error(
            api.create_topic_rule(part, {"ruleName": "h2", "topicRulePayload": templated}, CTX)
        ) == ("InvalidRequestException")
        named = {
            "sql": "SELECT * FROM 'x'",
            "actions": [{"http": {"url": HOOK + "/${topic()}", "confirmationUrl": HOOK}}],
        }
        await api.create_topic_rule(part, {"ruleName": "h3", "topicRulePayload": named}, CTX)
        await destinations.delete_topic_rule_destination(part, {"arn": made["arn"]}, CTX)
        assert await _error(destinations.get_topic_rule_destination(part, {"arn": made["arn"]}, CTX)) == (
            "UnauthorizedException"
        )
        await part.close()

    asyncio.run(scenario())


def test_rules_page_by_name_and_refuse_what_aws_refuses() -> None:
    async def scenario() -> None:
        part = World().part()
        await part.start()
        sqs = [{"sqs": {"queueUrl": "http://h/000000000000/q", "roleArn": "r"}}]
        for name in ("c", "a", "b"):
            await api.create_topic_rule(
                part,
                {"ruleName": name, "topicRulePayload": {"sql": "SELECT * FROM 'x'", "actions": sqs}},
                CTX,
            )
        first = await api.list_topic_rules(part, {"maxResults": 2}, CTX)
        assert [r["ruleName"] for r in first["rules"]] == ["a", "b"] and first["nextToken"] == "b"
        rest = await api.list_topic_rules(part, {"nextToken": "b"}, CTX)
        assert [r["ruleName"] for r in rest["rules"]] == ["c"] and "nextToken" not in rest
        bad_version = {"sql": "SELECT * FROM 'x'", "actions": sqs, "awsIotSqlVersion": "2020-01-01"}
        assert await _error(
            api.create_topic_rule(part, {"ruleName": "v", "topicRulePayload": bad_version}, CTX)
        ) == ("InvalidRequestException")
        unsupported = {"sql": "SELECT * FROM 'x'", "actions": [{"dynamoDB": {"tableName": "t"}}]}
        assert await _error(
            api.create_topic_rule(part, {"ruleName": "u", "topicRulePayload": unsupported}, CTX)
        ) == ("InvalidRequestException")
        bad_sql = {"sql": "SELECT * FROM", "actions": sqs}
        assert await _error(
            api.create_topic_rule(part, {"ruleName": "s", "topicRulePayload": bad_sql}, CTX)
        ) == ("SqlParseException")
        assert await _error(api.enable_topic_rule(part, {"ruleName": "zz"}, CTX)) == "UnauthorizedException"
        await part.close()

    asyncio.run(scenario())
