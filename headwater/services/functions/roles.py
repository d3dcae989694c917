"""The execution role check: with IAM running and `--function-roles checked`, Lambda must be able to
assume the role (it exists and its trust policy lets lambda.amazonaws.com call sts:AssumeRole)."""

from __future__ import annotations

import json
from typing import Protocol

from headwater.config import Config
from headwater.services.base import Ports
from headwater.services.functions import errors
from headwater.services.ports import Roles


class _Core(Protocol):
    config: Config
    ports: Ports


def check_role(core: _Core, role_arn: str) -> None:
    roles = core.ports.find(Roles)
    if roles is None or core.config.function_roles == "any":
        return
    policy = roles.trust_policy(role_arn)
    if policy is None or not trusts_lambda(policy):
        raise errors.role_not_assumable()


def trusts_lambda(policy_text: str) -> bool:
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return False
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        if principal == "*":
            return True
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if "lambda.amazonaws.com" in services:
            return True
    return False
