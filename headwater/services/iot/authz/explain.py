"""The explain view: which policy and statement allowed or denied a request, and why.

`explain(authz, ...)` answers a JSON-able dict (the admin route's body); `render(...)` the same as
text (the CLI's). Nothing else in AWS or in other brokers names the deciding statement: TestAuthorization
names policies only.
"""

from __future__ import annotations

from typing import Any

from headwater.services.iot.authz.engine import PolicyEngine
from headwater.services.iot.authz.principals import ACTIONS, principal_context
from headwater.services.iot.contracts import CertificateDirectory


def explain(
    engine: PolicyEngine,
    certificates: CertificateDirectory | None,
    account: str,
    region: str,
    principal: str | None,
    client_id: str | None,
    action: str,
    resource: str,
) -> dict[str, Any]:
    """`action` as in policies (iot:Publish) or as TestAuthorization's actionType (PUBLISH);
    `resource` a full ARN, or for the MQTT actions the bare topic / client id."""
    action = ACTIONS.get(action.upper(), action)
    resource = _arn(account, region, action, resource)
    context = principal_context(certificates, account, region, principal, client_id)
    conn = engine.connection(context, fresh=True)
    evaluation = engine.evaluate(context, action, resource, fresh=True)
    decision = evaluation.decision
    return {
        "principal": principal,
        "clientId": client_id,
        "action": action,
        "resource": resource,
        "decision": evaluation.auth_decision,
        "reason": decision.reason,
        "policy": decision.policy,
        "policyVersion": decision.policy_version,
        "statementIndex": decision.statement_index,
        "statement": decision.statement,
        "thing": conn.thing.name if conn.thing is not None else None,
        "targets": conn.targets,
        "policiesEvaluated": [p.name for p in evaluation.evaluated],
        "allowedBy": [p.name for p in evaluation.allowed],
        "deniedBy": [p.name for p in evaluation.explicit_deny],
        "missingContextValues": evaluation.missing,
    }


def _arn(account: str, region: str, action: str, resource: str) -> str:
    if resource.startswith("arn:") or resource == "*":
        return resource
    kind = {"iot:connect": "client", "iot:subscribe": "topicfilter"}.get(action.casefold(), "topic")
    return f"arn:aws:iot:{region}:{account}:{kind}/{resource}"


def render(answer: dict[str, Any]) -> str:
    lines = [f"{answer['decision']}: {answer['action']} on {answer['resource']}"]
    who = answer["principal"] or "(no principal)"
    lines.append(f"  principal {who}, client id {answer['clientId']!r}, thing {answer['thing'] or '(none)'}")
    if answer["policy"] is not None:
        lines.append(
            f"  decided by policy {answer['policy']} (version {answer['policyVersion']}),"
            f" statement {answer['statementIndex']}: {answer['statement']}"
        )
    else:
        lines.append(
            f"  {answer['reason']}; policies evaluated: {', '.join(answer['policiesEvaluated']) or '(none)'}"
        )
    if answer["missingContextValues"]:
        lines.append(f"  unresolved: {', '.join(answer['missingContextValues'])}")
    return "\n".join(lines)
