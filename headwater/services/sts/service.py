"""The STS core: who a request's signer is, and the credentials it may obtain.

Callers are of two kinds. Keys STS issued are sessions (`Identity`): an assumed role, a federated
user, or a GetSessionToken session, acting in the account they were issued for. Every other key is
the account's root user, in the account the listener mapped it to (a 12-digit key id is its own
account, any other the default one), as LocalStack users expect: Headwater has no IAM users.
"""

from __future__ import annotations

from dataclasses import dataclass

from headwater.config import Config
from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.context import RequestContext
from headwater.services.sts.arns import root_arn
from headwater.services.sts.sessions import Sessions


@dataclass(frozen=True, slots=True)
class Caller:
    account: str
    arn: str
    user_id: str
    kind: str  # "root", "assumed-role", "federated-user" or "session"

    @property
    def temporary(self) -> bool:
        return self.kind != "root"


class StsCore:
    def __init__(self, config: Config, meta: MetaStore, clock: SystemClock) -> None:
        self.config = config
        self.clock = clock
        self.sessions = Sessions(meta, clock)

    async def start(self) -> None:
        await self.sessions.start()

    async def close(self) -> None:
        await self.sessions.close()

    async def reset(self) -> None:
        await self.sessions.reset()

    def caller(self, ctx: RequestContext) -> Caller:
        issued = self.sessions.lookup(ctx.access_key) if ctx.access_key else None
        if issued is not None:
            return Caller(issued.account, issued.arn, issued.user_id, issued.kind)
        return Caller(ctx.account, root_arn(ctx.account), ctx.account, "root")
