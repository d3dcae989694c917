"""AWS IoT policy documents: `parse_policy(text)` checks a document as CreatePolicy and
CreatePolicyVersion do and compiles it for evaluation; errors are `MalformedPolicyException` with
AWS's "Policy document is Malformed..." wording.

The grammar is IAM's without principals (an IoT policy is attached to its principal): `Version`
("2012-10-17" or "2008-10-17"; absent means 2008-10-17), `Statement` (one object or a non-empty
list), each with `Effect`, `Action` or `NotAction`, `Resource` or `NotResource`, an optional `Sid`
and `Condition`. AWS counts the size without whitespace: at most 2,048 characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.iot.authz.conditions import Condition
from headwater.services.iot.authz.patterns import Pattern, action_matcher

VERSIONS = ("2012-10-17", "2008-10-17")
MAX_CHARS = 2048  # not counting whitespace
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def malformed(detail: str | None = None) -> AwsError:
    message = "Policy document is Malformed" + (f": {detail}" if detail else "")
    return AwsError("MalformedPolicyException", message, 400)


@dataclass(slots=True)
class Statement:
    index: int  # position in the document's Statement list
    sid: str | None
    allow: bool
    actions: tuple[Callable[[str], bool], ...]
    not_action: bool
    resources: tuple[Pattern, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]
    text: str  # the statement as JSON, for explanations

    def applies_to(self, action: str) -> bool:
        hit = any(match(action) for match in self.actions)
        return hit != self.not_action

    def covers(self, resource: str, resolve: Callable[[str], str | None], missing: list[str] | None) -> bool:
        hit = any(pattern.matches(resource, resolve, missing) for pattern in self.resources)
        return hit != self.not_resource


@dataclass(slots=True)
class PolicyDocument:
    version: str
    statements: tuple[Statement, ...]


def policy_problem(text: str) -> str | None:
    """Why CreatePolicy would refuse `text` (the detail after "Policy document is Malformed: "),
    None when it is a valid document; the size is left to the caller (relaxed mode lifts it)."""
    try:
        parse_policy(text, limits=False)
    except AwsError as error:
        return error.message.partition(": ")[2] or "Invalid policy syntax."
    return None


def parse_policy(text: str, *, limits: bool = True) -> PolicyDocument:
    """The compiled document; raises AwsError(MalformedPolicyException) when AWS would refuse it
    (`limits=False`: documents over AWS's size quota too)."""
    if limits and sum(1 for c in text if not c.isspace()) > MAX_CHARS:
        raise malformed(f"Policy document exceeds the maximum length of {MAX_CHARS} characters")
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise malformed() from None
    if not isinstance(parsed, dict):
        raise malformed()
    unknown = set(parsed) - {"Version", "Statement", "Id"}
    if unknown:
        raise malformed(f"Invalid policy element: {sorted(unknown)[0]}")
    version = parsed.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise malformed(f"Invalid policy version: {version}")
    raw = parsed.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    if raw is None or not items or not all(isinstance(item, dict) for item in items):
        raise malformed("Invalid policy syntax.")
    variables = version == "2012-10-17"  # the 2008 policy language has no variables
    return PolicyDocument(
        version, tuple(_statement(index, item, variables) for index, item in enumerate(items))
    )


def _strings(value: Any, what: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(item, str) and item for item in values):
        raise malformed(f"Invalid {what} element.")
    return values


def _statement(index: int, item: dict[str, Any], variables: bool) -> Statement:
    unknown = set(item) - _STATEMENT_KEYS
    if unknown:
        raise malformed(f"Invalid policy element: {sorted(unknown)[0]}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise malformed("Invalid policy syntax.")
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise malformed("Invalid policy syntax.")
    if ("Action" in item) == ("NotAction" in item) or ("Resource" in item) == ("NotResource" in item):
        raise malformed("Invalid policy syntax.")
    not_action = "NotAction" in item
    actions = _strings(item["NotAction" if not_action else "Action"], "Action")
    bad = [action for action in actions if not _valid_action(action)]
    if bad:
        raise malformed(f"The following actions are invalid : {', '.join(bad)}")
    not_resource = "NotResource" in item
    resources = _strings(item["NotResource" if not_resource else "Resource"], "Resource")
    bad = [resource for resource in resources if not _valid_resource(resource)]
    if bad:
        raise malformed(f"The following resources are invalid : {', '.join(bad)}")
    return Statement(
        index=index,
        sid=sid,
        allow=effect == "Allow",
        actions=tuple(action_matcher(action) for action in actions),
        not_action=not_action,
        resources=tuple(Pattern(resource, variables=variables) for resource in resources),
        not_resource=not_resource,
        conditions=_conditions(item.get("Condition"), variables),
        text=json.dumps(item, separators=(",", ":")),
    )


def _valid_action(action: str) -> bool:
    if action == "*":
        return True
    prefix, colon, name = action.partition(":")
    return bool(colon and prefix and name) and ":" not in name and prefix.replace("-", "").isalnum()


def _valid_resource(resource: str) -> bool:
    return resource == "*" or resource.startswith(("arn:", "${"))


def _conditions(block: Any, variables: bool) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict) or not block:
        raise malformed("Invalid Condition element.")
    out: list[Condition] = []
    for operator, keys in block.items():
        if not isinstance(keys, dict) or not keys:
            raise malformed(f"Invalid Condition element: {operator}")
        for key, raw in keys.items():
            values = raw if isinstance(raw, list) else [raw]
            if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
                raise malformed(f"Invalid Condition value for {operator}: {key}")
            texts = [json.dumps(v) if isinstance(v, bool) else str(v) for v in values]
            condition = Condition.build(operator, key, texts, variables)
            if condition is None:
                raise malformed(f"Invalid Condition operator: {operator}")
            out.append(condition)
    return tuple(out)
