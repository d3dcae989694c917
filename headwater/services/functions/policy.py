"""A function's resource-based policy: the statements AddPermission writes, the document GetPolicy
shows, and the evaluation invocations by other services and function URLs go through.

Theory of operation. A statement is kept exactly as GetPolicy renders it (Sid, Effect, Principal,
Action, Resource, Condition), so rendering is a dump and evaluation reads the same shape:

- Principal: an account id becomes ``{"AWS": "arn:aws:iam::<id>:root"}``, an IAM ARN ``{"AWS": arn}``,
  a service (``s3.amazonaws.com``) ``{"Service": ...}``, and ``*`` stays ``"*"``.
- Conditions, as Lambda writes them: SourceArn ``ArnLike AWS:SourceArn`` (wildcards allowed),
  SourceAccount ``StringEquals AWS:SourceAccount``, EventSourceToken ``StringEquals
  lambda:EventSourceToken``, PrincipalOrgID ``StringEquals aws:PrincipalOrgID``, FunctionUrlAuthType
  ``StringEquals lambda:FunctionUrlAuthType`` and InvokedViaFunctionUrl ``Bool
  lambda:InvokedViaFunctionUrl``.

`allows` grants a request when some Allow statement names the action (or ``lambda:*``/``*``), the
principal, and every condition holds for the request's context; a condition on a key the request
does not carry fails, as IAM's do. There are no Deny statements (AddPermission writes none).

The document lives in the metadata store (``functions.policy``, by function key) with its own
RevisionId, which AddPermission/RemovePermission check and change.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from headwater.engine.api import MetaStore

POLICIES = "functions.policy"
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True, slots=True)
class Request:
    """Who asks to do what, with the context keys its conditions are checked against."""

    action: str  # "lambda:InvokeFunction"
    principal: str  # an account id, a service principal, or "*" (anonymous)
    source_arn: str | None = None
    source_account: str | None = None
    url_auth_type: str | None = None  # set for requests through a function URL
    via_url: bool = False


@dataclass(slots=True)
class Policy:
    revision: str = field(default_factory=lambda: str(uuid.uuid4()))
    statements: list[dict[str, Any]] = field(default_factory=list)

    def find(self, sid: str) -> dict[str, Any] | None:
        return next((s for s in self.statements if s.get("Sid") == sid), None)

    def document(self) -> str:
        return json.dumps(
            {"Version": "2012-10-17", "Id": "default", "Statement": self.statements}, separators=(",", ":")
        )

    def allows(self, request: Request) -> bool:
        return any(_grants(statement, request) for statement in self.statements)


def load(meta: MetaStore, key: str, namespace: str = POLICIES) -> Policy | None:
    raw = meta.get(namespace, key)
    if raw is None:
        return None
    stored = json.loads(raw)
    return Policy(stored["revision"], stored["statements"])


async def save(meta: MetaStore, key: str, policy: Policy, namespace: str = POLICIES) -> None:
    """Stores the policy (deletes it when it has no statements left)."""
    if not policy.statements:
        await meta.delete(namespace, key)
        return
    raw = json.dumps({"revision": policy.revision, "statements": policy.statements}, separators=(",", ":"))
    await meta.put(namespace, key, raw.encode())


def statement(params: dict[str, Any], resource: str) -> dict[str, Any]:
    """The statement AddPermission's parameters make, as GetPolicy shows it."""
    condition: dict[str, dict[str, str]] = {}

    def add(operator: str, key: str, value: str) -> None:
        condition.setdefault(operator, {})[key] = value

    if params.get("SourceAccount"):
        add("StringEquals", "AWS:SourceAccount", params["SourceAccount"])
    if params.get("EventSourceToken"):
        add("StringEquals", "lambda:EventSourceToken", params["EventSourceToken"])
    if params.get("PrincipalOrgID"):
        add("StringEquals", "aws:PrincipalOrgID", params["PrincipalOrgID"])
    if params.get("FunctionUrlAuthType"):
        add("StringEquals", "lambda:FunctionUrlAuthType", params["FunctionUrlAuthType"])
    if params.get("SourceArn"):
        add("ArnLike", "AWS:SourceArn", params["SourceArn"])
    if params.get("InvokedViaFunctionUrl"):
        add("Bool", "lambda:InvokedViaFunctionUrl", "true")
    rendered: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": principal(params["Principal"]),
        "Action": params["Action"],
        "Resource": resource,
    }
    if condition:
        rendered["Condition"] = condition
    return rendered


def principal(value: str) -> str | dict[str, str]:
    if value == "*":
        return "*"
    if _ACCOUNT.fullmatch(value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:"):
        return {"AWS": value}
    return {"Service": value}


def _grants(statement: dict[str, Any], request: Request) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = statement.get("Action")
    names = [actions] if isinstance(actions, str) else list(actions or ())
    if not any(fnmatchcase(request.action.lower(), str(name).lower()) for name in names):
        return False
    if not _principal_matches(statement.get("Principal"), request.principal):
        return False
    return all(
        _condition_holds(operator, key, expected, request)
        for operator, entries in (statement.get("Condition") or {}).items()
        for key, expected in entries.items()
    )


def _principal_matches(granted: Any, who: str) -> bool:
    if granted == "*":
        return True
    if not isinstance(granted, dict):
        return False
    if granted.get("AWS") == "*":
        return True
    if "Service" in granted:
        return bool(granted["Service"] == who)
    arn = str(granted.get("AWS", ""))
    # an account's root grants every principal of that account
    return _ACCOUNT.fullmatch(who) is not None and (arn == f"arn:aws:iam::{who}:root" or arn == who)


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    values = {
        "aws:sourcearn": request.source_arn,
        "aws:sourceaccount": request.source_account,
        "lambda:functionurlauthtype": request.url_auth_type,
        "lambda:invokedviafunctionurl": "true" if request.via_url else None,
    }
    actual = values.get(key.lower())
    if actual is None:  # a key the request does not carry (no organizations, no event tokens here)
        return False
    if operator in ("ArnLike", "StringLike"):
        return fnmatchcase(actual, str(expected))
    if operator in ("StringEquals", "ArnEquals"):
        return actual == str(expected)
    if operator == "Bool":
        return actual == str(expected).lower()
    return False
