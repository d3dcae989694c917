"""The AWS IoT policy engine: the `Authorizer` the broker asks on every CONNECT, PUBLISH, SUBSCRIBE
and delivery.

Theory of operation. A request is (who, action, resource). Who resolves to a `Connection` (values.py):
the targets whose policies apply (the certificate ARN, plus the thing groups and their ancestors of
the connection's thing) and the variables. The policies are the default versions attached to those
targets (PolicyDirectory.attached), each parsed once per document text. Every statement whose
Action covers the action, whose Resource (after variable substitution) covers the resource and whose
Condition holds votes: one Deny decides (explicit deny), else one Allow allows, else nothing does
(implicit deny). The Decision names the deciding statement, for the explain view.

Every PUBLISH and every delivery is a check, so two caches keep the cost down: connections per
(principal, client id, certificate) and decisions per (request, action, resource), both for `ttl`
seconds; `invalidate()` drops both at once, and every mutating iot operation calls it
(operations.invalidating), so a change made through the API applies to the next check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from headwater.services.iot.authz.documents import PolicyDocument, Statement, parse_policy
from headwater.services.iot.authz.values import Connection, RequestValues, connection
from headwater.services.iot.contracts import (
    AttachedPolicy,
    AuthContext,
    Decision,
    PolicyDirectory,
    ThingDirectory,
)

_MAX_ENTRIES = 16384  # per cache; a full one is dropped whole (a few MB at most)
_MAX_DOCUMENTS = 4096


@dataclass(slots=True)
class Evaluation:
    """Everything one evaluation found: TestAuthorization's answer and the decision."""

    decision: Decision
    auth_decision: str  # ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY
    allowed: list[AttachedPolicy] = field(default_factory=list)
    explicit_deny: list[AttachedPolicy] = field(default_factory=list)
    evaluated: list[AttachedPolicy] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _decision(policy: AttachedPolicy, statement: Statement) -> Decision:
    return Decision(
        allowed=statement.allow,
        policy=policy.name,
        policy_version=policy.version_id,
        statement_index=statement.index,
        statement=statement.text,
        reason="allowed" if statement.allow else "explicit deny",
    )


# a statement whose Action covers the action, its policy and the decision it makes when it applies
Candidate = tuple[AttachedPolicy, Statement, Decision]
IMPLICIT = Decision(allowed=False, reason="no statement allows")


class PolicyEngine:
    def __init__(
        self,
        things: ThingDirectory,
        policies: PolicyDirectory,
        *,
        ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.things = things
        self.policies = policies
        self.ttl = ttl
        self._monotonic = monotonic
        self._now = now
        self._documents: dict[str, PolicyDocument] = {}
        self._connections: dict[tuple[object, ...], tuple[float, Connection]] = {}
        self._decisions: dict[tuple[object, ...], tuple[float, Decision]] = {}

    def invalidate(self) -> None:
        self._connections.clear()
        self._decisions.clear()

    # --- the Authorizer contract -------------------------------------------------------------

    def authorize(self, context: AuthContext, action: str, resource: str) -> Decision:
        key = (
            context.account,
            context.region,
            context.principal_arn,
            context.client_id,
            context.source_ip,
            context.certificate_der,
            tuple(context.extra.items()) if context.extra else None,
            action,
            resource,
        )
        now = self._monotonic()
        cached = self._decisions.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        decision = self._decide(context, action, resource)
        if len(self._decisions) >= _MAX_ENTRIES:
            self._decisions.clear()
        self._decisions[key] = (now + self.ttl, decision)
        return decision

    # --- evaluation --------------------------------------------------------------------------

    def document(self, policy: AttachedPolicy) -> PolicyDocument | None:
        """The parsed document (None when a stored document no longer parses: it allows nothing)."""
        parsed = self._documents.get(policy.document)
        if parsed is None:
            try:
                parsed = parse_policy(policy.document, limits=False)
            except Exception:  # a document the store accepted under other rules: it grants nothing
                return None
            if len(self._documents) >= _MAX_DOCUMENTS:
                self._documents.clear()
            self._documents[policy.document] = parsed
        return parsed

    def connection(self, context: AuthContext, *, fresh: bool = False) -> Connection:
        """Who the context is and the policies that apply (`fresh`: read from the stores now, as
        TestAuthorization and explain do, not from the cache)."""
        key = (
            context.account,
            context.region,
            context.principal_arn,
            context.client_id,
            context.certificate_der,
        )
        now = self._monotonic()
        cached = None if fresh else self._connections.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        conn = connection(self.things, context)
        if conn.targets:
            for attached in self.policies.attached(context.account, context.region, conn.targets):
                parsed = self.document(attached)
                if parsed is not None:
                    conn.policies.append((attached, parsed))
        if len(self._connections) >= _MAX_ENTRIES:
            self._connections.clear()
        self._connections[key] = (now + self.ttl, conn)
        return conn

    def _decide(self, context: AuthContext, action: str, resource: str) -> Decision:
        """`evaluate(..., exhaustive=False).decision` without the report: the broker's path."""
        conn = self.connection(context)
        candidates = conn.by_action.get(action)
        if candidates is None:
            candidates = conn.by_action[action] = _candidates(conn.policies, action)
        if not candidates:
            return IMPLICIT
        values = RequestValues(conn, context, resource, self._now)
        get = values.get
        for _, statement, decided in candidates:  # Deny statements first: the first match decides
            if statement.covers(resource, get, None) and all(
                condition.holds(values) for condition in statement.conditions
            ):
                return decided
        return IMPLICIT

    def evaluate(
        self,
        context: AuthContext,
        action: str,
        resource: str,
        *,
        exhaustive: bool = True,
        fresh: bool = False,
        add: Sequence[AttachedPolicy] = (),
        skip: Collection[str] = (),
    ) -> Evaluation:
        """The full evaluation (`exhaustive`: every matching statement, as TestAuthorization reports
        them; otherwise it stops at the first Deny). `add`/`skip` name policies to treat as attached
        or not (TestAuthorization's policyNamesToAdd/Skip)."""
        conn = self.connection(context, fresh=fresh)
        if add or skip:
            policies = [(p, d) for p, d in conn.policies if p.name not in skip]
            for extra in add:
                parsed = self.document(extra)
                if parsed is not None and all(p.name != extra.name for p, _ in policies):
                    policies.append((extra, parsed))
            candidates = _candidates(policies, action)
        else:
            policies = conn.policies
            known = conn.by_action.get(action)
            if known is None:
                known = conn.by_action[action] = _candidates(policies, action)
            candidates = known
        values = RequestValues(conn, context, resource, self._now)
        missing: list[str] = []
        result = Evaluation(
            decision=IMPLICIT, auth_decision="IMPLICIT_DENY", evaluated=[p for p, _ in policies]
        )
        first_allow: Decision | None = None
        first_deny: Decision | None = None
        # Deny statements come first: without `exhaustive` the first match of either kind decides
        for policy, statement, decided in candidates:
            if not statement.covers(resource, values.get, missing):
                continue
            if not all(condition.holds(values, missing) for condition in statement.conditions):
                continue
            if statement.allow:
                if first_allow is None:
                    first_allow = decided
                if policy not in result.allowed:
                    result.allowed.append(policy)
            else:
                if first_deny is None:
                    first_deny = decided
                if policy not in result.explicit_deny:
                    result.explicit_deny.append(policy)
            if not exhaustive:
                break
        result.missing = sorted(set(missing))
        if first_deny is not None:
            result.decision, result.auth_decision = first_deny, "EXPLICIT_DENY"
        elif first_allow is not None:
            result.decision, result.auth_decision = first_allow, "ALLOWED"
        return result


def _candidates(policies: Sequence[tuple[AttachedPolicy, PolicyDocument]], action: str) -> list[Candidate]:
    """The statements whose Action covers `action`, Deny ones first (each kind in document order),
    each with the Decision it makes (built once: cached decisions share it)."""
    found = [(p, st, _decision(p, st)) for p, d in policies for st in d.statements if st.applies_to(action)]
    return [item for item in found if not item[1].allow] + [item for item in found if item[1].allow]
