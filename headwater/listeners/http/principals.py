"""Who signed a request: the account it acts in and, with `--auth strict`, the secret that verifies it.

Two sources, in this order: credentials a service issued (STS's `Identities` port, handed over by the
composition root: the listeners never see the registry), then the configured rule: a 12-digit access
key id is its own account, any other key the default account, and `--credentials` lists the secrets
strict mode accepts.

Issued credentials are temporary: in strict mode a request signed with one must carry its session
token (``X-Amz-Security-Token``) and arrive before it expires. `SessionCheck` says which of those
failed; each front end words that failure as its service does (JSON/Query services:
UnrecognizedClientException / ExpiredTokenException, S3: InvalidToken / ExpiredToken). In open mode
an issued key only selects its account.
"""

from __future__ import annotations

import enum

from headwater.config import Config, account_for_access_key
from headwater.services.ports import Identities, Identity


class SessionCheck(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # no token, or not this key's
    EXPIRED = "expired"


class Principals:
    def __init__(self, config: Config, issued: Identities | None = None) -> None:
        self.config = config
        self.issued = issued

    def identity(self, access_key: str | None) -> Identity | None:
        """The issued credentials `access_key` names, if any service issued it."""
        if access_key is None or self.issued is None:
            return None
        return self.issued.lookup(access_key)

    def account(self, access_key: str | None) -> str:
        identity = self.identity(access_key)
        if identity is not None:
            return identity.account
        return account_for_access_key(access_key, self.config.account_id)

    def configured_secret(self, access_key: str) -> str | None:
        return self.config.credentials.get(access_key)


def check_session(identity: Identity, token: str | None, now: float) -> SessionCheck:
    if token != identity.session_token:
        return SessionCheck.INVALID
    if now >= identity.expires:
        return SessionCheck.EXPIRED
    return SessionCheck.OK
