"""Who signed a request: the account it acts in and, with `--auth strict`, the secret that verifies it.

Two sources, in this order: credentials a service issued (STS's `Identities` port, handed over by the
composition root: the listeners never see the registry), then the configured rule: a 12-digit access
key id is its own account, any other key the default account, and `--credentials` lists the secrets
strict mode accepts.

Issued credentials are temporary: in strict mode a request signed with one must carry its session
token (``X-Amz-Security-Token``) and arrive before it expires. Both are checked when the verifier
asks for the key's secret, so before the signature, as AWS reads the token first; each front end
words a failure as its service does (`sigv4_secrets` for the JSON and Query services, `s3_secrets`
for S3). In open mode an issued key only selects its account.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from headwater.config import Config, account_for_access_key
from headwater.protocol.auth.s3 import s3_error
from headwater.protocol.errors import AwsError
from headwater.services.ports import Identities, Identity

SecretLookup = Callable[[str], str | None]

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


class _Session(enum.Enum):
    VALID = "valid"
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

    def sigv4_secrets(self, token: str | None, now: float, *, query: bool) -> SecretLookup:
        """Secrets for `sigv4.verify` (the JSON and Query services). The errors carry the JSON
        names, which the Query services' overlays translate; the Query code of an expired token
        (which SQS's overlay lacks) rides along when the service speaks Query (`query`)."""

        def secret_for(access_key: str) -> str | None:
            identity = self.identity(access_key)
            if identity is None:
                return self.config.credentials.get(access_key)
            session = _check(identity, token, now)
            if session is _Session.INVALID:
                raise AwsError("UnrecognizedClientException", INVALID_TOKEN)
            if session is _Session.EXPIRED:
                raise AwsError(
                    "ExpiredTokenException", EXPIRED_TOKEN, query_code="ExpiredToken" if query else None
                )
            return identity.secret

        return secret_for

    def s3_secrets(self, token: str | None, now: float) -> SecretLookup:
        """Secrets for `s3.verify`, in S3's words: an issued key without its token is unknown
        (InvalidAccessKeyId), with another token InvalidToken, after its expiry ExpiredToken."""

        def secret_for(access_key: str) -> str | None:
            identity = self.identity(access_key)
            if identity is None:
                return self.config.credentials.get(access_key)
            if token is None:
                return None
            session = _check(identity, token, now)
            if session is _Session.INVALID:
                message = "The provided token is malformed or otherwise invalid."
                raise s3_error("InvalidToken", message, 400, {"Token-0": token})
            if session is _Session.EXPIRED:
                raise s3_error("ExpiredToken", "The provided token has expired.", 400, {"Token-0": token})
            return identity.secret

        return secret_for


def _check(identity: Identity, token: str | None, now: float) -> _Session:
    if token != identity.session_token:
        return _Session.INVALID
    if now >= identity.expires:
        return _Session.EXPIRED
    return _Session.VALID
