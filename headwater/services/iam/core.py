"""The IAM core: every account's roles and customer-managed policies, in memory and in the
metadata store (written before an operation answers, read back at start). It is the `Roles` port
the functions service asks whether an execution role exists and whom it trusts."""

from __future__ import annotations

from headwater.config import Config
from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.iam import errors
from headwater.services.iam.records import (
    POLICIES,
    ROLES,
    Policy,
    Role,
    decode_policy,
    decode_role,
    encode,
    role_key,
)


class IamCore:
    def __init__(self, config: Config, meta: MetaStore, clock: SystemClock) -> None:
        self.config = config
        self.meta = meta
        self.clock = clock
        self.roles: dict[str, Role] = {}
        self.policies: dict[str, Policy] = {}  # "<account>\0<arn>" -> policy

    async def start(self) -> None:
        self.roles = {key: decode_role(raw) for key, raw in self.meta.scan(ROLES)}
        self.policies = {key: decode_policy(raw) for key, raw in self.meta.scan(POLICIES)}

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self.roles.clear()  # the engine's reset emptied the store
        self.policies.clear()

    # -- roles --------------------------------------------------------------------------------------

    def role(self, account: str, name: str) -> Role:
        found = self.roles.get(role_key(account, name))
        if found is None:
            raise errors.no_role(name)
        return found

    def roles_of(self, account: str) -> list[Role]:
        prefix = f"{account}\0"
        return sorted(
            (r for k, r in self.roles.items() if k.startswith(prefix)), key=lambda r: r.name.lower()
        )

    async def save_role(self, role: Role) -> None:
        self.roles[role.key] = role
        await self.meta.put(ROLES, role.key, encode(role))

    async def delete_role(self, role: Role) -> None:
        del self.roles[role.key]
        await self.meta.delete(ROLES, role.key)

    # -- customer-managed policies -----------------------------------------------------------------

    def policy(self, account: str, arn: str) -> Policy:
        found = self.policies.get(f"{account}\0{arn}")
        if found is None:
            raise errors.no_policy(arn)
        return found

    def policies_of(self, account: str) -> list[Policy]:
        prefix = f"{account}\0"
        return [p for k, p in sorted(self.policies.items()) if k.startswith(prefix)]

    async def save_policy(self, policy: Policy) -> None:
        self.policies[policy.key] = policy
        await self.meta.put(POLICIES, policy.key, encode(policy))

    async def delete_policy(self, policy: Policy) -> None:
        del self.policies[policy.key]
        await self.meta.delete(POLICIES, policy.key)

    def attachments(self, account: str, arn: str) -> int:
        return sum(1 for role in self.roles_of(account) if arn in role.attached)

    # -- the Roles port -----------------------------------------------------------------------------

    def trust_policy(self, role_arn: str) -> str | None:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "iam"] or not parts[5].startswith("role/"):
            return None
        path_and_name = parts[5][len("role") :]
        found = self.roles.get(role_key(parts[4], path_and_name.rsplit("/", 1)[-1]))
        if found is None or found.path + found.name != path_and_name:
            return None
        return found.trust
