"""The topic rule operations (CreateTopicRule ... DeleteTopicRule), each bound to the rules part.

A missing rule is UnauthorizedException (401), as AWS answers it; a statement that does not parse
is SqlParseException with the parser's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.rules import destinations
from headwater.services.iot.rules.contracts import SqlError
from headwater.services.iot.rules.model import (
    RULE_NAME,
    Doc,
    TopicRule,
    check_payload,
    invalid,
    rule_arn,
)
from headwater.services.iot.rules.part import RulesPart

MAX_RESULTS = 1000


class HasRules(Protocol):
    rules: RulesPart


def _name(params: Doc) -> str:
    name = str(params.get("ruleName", ""))
    if not RULE_NAME.fullmatch(name):
        raise invalid(
            f"1 validation error detected: Value '{name}' at 'ruleName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]+$"
        )
    return name


def _missing(name: str) -> AwsError:
    return AwsError("UnauthorizedException", f"Rule {name} does not exist or access is denied.", 401)


def _existing(part: RulesPart, params: Doc, ctx: RequestContext) -> TopicRule:
    name = _name(params)
    rule = part.store.get(ctx.account, ctx.region, name)
    if rule is None:
        raise _missing(name)
    return rule


def _compiled(part: RulesPart, rule: TopicRule) -> TopicRule:
    check_payload(rule.payload)
    try:
        rule.compiled = part.compile_sql(rule.sql, rule.version)
    except SqlError as error:
        raise AwsError("SqlParseException", str(error)) from None
    except NotImplementedError:
        raise AwsError("InternalException", "IoT SQL is not available in this build.", 500) from None
    except Exception as error:  # a parser's bug on odd input: still the client's statement
        raise AwsError("SqlParseException", f"The SQL statement cannot be parsed: {error}") from None
    return rule


async def create_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    name = _name(params)
    if part.store.get(ctx.account, ctx.region, name) is not None:
        arn = rule_arn(ctx.account, ctx.region, name)
        raise AwsError(
            "ResourceAlreadyExistsException",
            f"Rule with name {name} already exists.",
            409,
            details={"resourceId": name, "resourceArn": arn},
        )
    payload = dict(params.get("topicRulePayload") or {})
    rule = _compiled(part, TopicRule(ctx.account, ctx.region, name, payload, part.now()))
    part.check_destinations(rule)
    tags = dict(parse_qsl(str(params.get("tags") or ""), keep_blank_values=True))
    await part.store.put(rule)
    if tags and part.tags is not None:
        await part.tags.put(rule.arn, tags)
    return {}


async def get_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    rule = _existing(part, params, ctx)
    return {"ruleArn": rule.arn, "rule": rule.document()}


async def list_topic_rules(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    rules = part.store.of(ctx.account, ctx.region)
    topic = params.get("topic")
    if topic:
        rules = [r for r in rules if r.topic_pattern == topic or (r.compiled and r.compiled.matches(topic))]
    disabled = params.get("ruleDisabled")
    if disabled is not None:
        rules = [r for r in rules if r.disabled == disabled]
    after = params.get("nextToken")
    if after:
        rules = [r for r in rules if r.name > after]
    limit = int(params.get("maxResults") or MAX_RESULTS)
    answer: Doc = {"rules": [r.list_item() for r in rules[:limit]]}
    if len(rules) > limit:
        answer["nextToken"] = rules[limit - 1].name
    return answer


async def replace_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    old = _existing(part, params, ctx)
    payload = dict(params.get("topicRulePayload") or {})
    rule = _compiled(part, TopicRule(old.account, old.region, old.name, payload, old.created))
    part.check_destinations(rule)
    await part.store.put(rule)
    return {}


async def _set_disabled(part: RulesPart, params: Doc, ctx: RequestContext, disabled: bool) -> Doc:
    old = _existing(part, params, ctx)
    payload = {**old.payload, "ruleDisabled": disabled}
    await part.store.put(TopicRule(old.account, old.region, old.name, payload, old.created, old.compiled))
    return {}


async def enable_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    return await _set_disabled(part, params, ctx, False)


async def disable_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    return await _set_disabled(part, params, ctx, True)


async def delete_topic_rule(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    rule = _existing(part, params, ctx)
    await part.store.delete(rule)
    if part.tags is not None:
        await part.tags.drop(rule.arn)
    await part.runtime.outboxes.drop_rule(rule.account, rule.region, rule.name)
    part.runtime.forget(rule.name)
    part.runtime.gathering.forget((rule.account, rule.region, rule.name))
    return {}


Operation = Callable[[RulesPart, Doc, RequestContext], Awaitable[Doc]]
_TABLE: dict[str, Operation] = {
    "CreateTopicRule": create_topic_rule,
    "GetTopicRule": get_topic_rule,
    "ListTopicRules": list_topic_rules,
    "ReplaceTopicRule": replace_topic_rule,
    "EnableTopicRule": enable_topic_rule,
    "DisableTopicRule": disable_topic_rule,
    "DeleteTopicRule": delete_topic_rule,
    **destinations.OPERATIONS,
}


def _on_rules(operation: Operation) -> Callable[[HasRules, Doc, RequestContext], Awaitable[Doc]]:
    def bound(core: HasRules, params: Doc, ctx: RequestContext) -> Awaitable[Doc]:
        return operation(core.rules, params, ctx)

    return bound


OPERATIONS: dict[str, Callable[..., Awaitable[Any]]] = {name: _on_rules(op) for name, op in _TABLE.items()}
