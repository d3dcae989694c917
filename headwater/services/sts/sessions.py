"""The temporary credentials STS issued: what every listener asks about an access key id.

Theory of operation. Each issued credential is one `Identity`, kept in memory by access key id
(the listeners look one up per signed request) and written to the engine's metadata store before
the operation that issued it answers, so credentials handed to a client survive a restart. The
whole namespace is read back at start and dropped by a reset.

An expired credential is kept for a week after its expiry, so that a request signed with it is
answered ExpiredToken (as AWS answers, whose tokens describe themselves) rather than as an unknown
key; older ones are forgotten at start and, at most hourly, when new ones are issued.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from headwater.engine.api import MetaStore
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock
from headwater.services.ports import Identity
from headwater.services.sts import keys
from headwater.services.sts.arns import parse_role_arn

NAMESPACE = "sts"
KEEP_EXPIRED_S = 7 * 86_400
PRUNE_EVERY_S = 3_600


class Sessions:
    """The issued credentials, by access key id; it is the `Identities` port STS offers."""

    def __init__(self, meta: MetaStore, clock: SystemClock) -> None:
        self.meta = meta
        self.clock = clock
        self._by_key: dict[str, Identity] = {}
        self._next_prune = 0.0

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._by_key = {key: _decode(raw) for key, raw in self.meta.scan(NAMESPACE)}
        await self._prune()

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self._by_key.clear()  # the engine's reset already emptied the namespace
        self._next_prune = 0.0

    # -- the port -----------------------------------------------------------------------------------

    def lookup(self, access_key: str) -> Identity | None:
        return self._by_key.get(access_key)

    # -- issuing ------------------------------------------------------------------------------------

    async def issue(self, *, account: str, arn: str, user_id: str, kind: str, duration_s: int) -> Identity:
        """New credentials acting as `arn` in `account` for `duration_s` seconds, durable on return."""
        if self.clock.now() >= self._next_prune:
            await self._prune()
        identity = Identity(
            access_key=keys.access_key_id(),
            secret=keys.secret_access_key(),
            session_token=keys.session_token(),
            account=account,
            arn=arn,
            user_id=user_id,
            # whole seconds, as AWS's Expiration (the response date plus the duration)
            expires=float(int(self.clock.now()) + duration_s),
            kind=kind,
        )
        self._by_key[identity.access_key] = identity
        await self.meta.put(NAMESPACE, identity.access_key, _encode(identity))
        return identity

    async def assume(self, role_arn: str, session_name: str, duration_s: int) -> Identity | None:
        """The `RoleSessions` port: AssumeRole on a service's behalf (no caller, no policy)."""
        try:
            role = parse_role_arn(role_arn)
        except AwsError:
            return None
        if role is None:
            return None
        return await self.issue(
            account=role.account,
            arn=role.session_arn(session_name),
            user_id=f"{keys.role_id(role_arn)}:{session_name}",
            kind="assumed-role",
            duration_s=duration_s,
        )

    async def _prune(self) -> None:
        now = self.clock.now()
        self._next_prune = now + PRUNE_EVERY_S
        stale = [key for key, identity in self._by_key.items() if identity.expires + KEEP_EXPIRED_S < now]
        for key in stale:
            del self._by_key[key]
            await self.meta.delete(NAMESPACE, key)

    def __len__(self) -> int:
        return len(self._by_key)


def _encode(identity: Identity) -> bytes:
    return json.dumps(asdict(identity), separators=(",", ":")).encode()


def _decode(raw: bytes) -> Identity:
    return Identity(**json.loads(raw))
