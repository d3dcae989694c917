"""The policy engine as a part of the iot service: its lifecycle, the stores it reads, and the
placeholders it reads until the registry and the policy store are wired in.

The broker's `Authorizer` is `Authz.engine`. Every mutating `iot` operation is followed by
`Authz.engine.invalidate()` (operations.invalidating, applied to the whole table in api.py); a
change made around the API shows within `ttl` seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from headwater.services.iot.authz.engine import PolicyEngine
from headwater.services.iot.authz.explain import explain, render
from headwater.services.iot.contracts import (
    AttachedPolicy,
    CertificateDirectory,
    CertificateRecord,
    PolicyDirectory,
    ThingDirectory,
    ThingInfo,
)


@runtime_checkable
class NamedPolicies(Protocol):
    """What TestAuthorization's policyNamesToAdd needs of the policy store beyond `PolicyDirectory`
    (the default version of a policy by name); without it, adding names answers ResourceNotFound."""

    def policy(self, account: str, region: str, name: str) -> AttachedPolicy | None: ...


class NoThings:
    """A registry with no things (until the thing registry is wired in)."""

    def thing(self, account: str, region: str, name: str) -> ThingInfo | None:
        return None

    def things_of_principal(self, account: str, region: str, principal_arn: str) -> list[str]:
        return []

    def is_exclusively_attached(self, account: str, region: str, principal_arn: str, thing: str) -> bool:
        return False

    def groups_of_thing(self, account: str, region: str, thing: str) -> list[str]:
        return []


class NoPolicies:
    """A policy store with no policies (until the policy store is wired in)."""

    def attached(self, account: str, region: str, target_arns: Sequence[str]) -> list[AttachedPolicy]:
        return []


class NoCertificates:
    def by_der(self, der: bytes) -> CertificateRecord | None:
        return None

    def by_id(self, account: str, region: str, certificate_id: str) -> CertificateRecord | None:
        return None


class Authz:
    def __init__(
        self,
        things: ThingDirectory,
        policies: PolicyDirectory,
        certificates: CertificateDirectory | None = None,
        *,
        now: Callable[[], float] | None = None,
        ttl: float = 1.0,
    ) -> None:
        self.engine = PolicyEngine(things, policies, ttl=ttl, **({"now": now} if now is not None else {}))
        # None: certificates are not checked to exist (TestAuthorization takes any certificate ARN)
        self.certificates = certificates

    @property
    def things(self) -> ThingDirectory:
        return self.engine.things

    @property
    def policies(self) -> PolicyDirectory:
        return self.engine.policies

    def named(self, account: str, region: str, name: str) -> AttachedPolicy | None:
        store = self.engine.policies
        return store.policy(account, region, name) if isinstance(store, NamedPolicies) else None

    def explain(
        self,
        account: str,
        region: str,
        principal: str | None,
        client_id: str | None,
        action: str,
        resource: str,
    ) -> dict[str, Any]:
        """The explain view's answer (explain.py): which policy and statement decided, and why, with
        `summary`, the same as text for a terminal; raises AwsError for a principal that is not one."""
        answer = explain(
            self.engine, self.certificates, account, region, principal, client_id, action, resource
        )
        answer["summary"] = render(answer)
        return answer

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self.engine.invalidate()

    async def reset(self) -> None:
        self.engine.invalidate()
