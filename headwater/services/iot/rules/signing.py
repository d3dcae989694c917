"""The http action's `auth.sigv4`: the POST signed with Signature Version 4 as the rule's role.

AWS IoT assumes `roleArn` and signs each request for `signingRegion` and `serviceName` (the
endpoint is typically an AWS service or an API Gateway stage that verifies the signature). Here the
role is assumed through STS's `RoleSessions` port, so the credentials are real Headwater ones (a
request signed with them reaches Headwater as the assumed role); a session is reused until five
minutes before it expires. Without STS the server's configured credentials sign (the first
`--credentials` pair in strict mode, else the account id as the key, as a function's environment
has them). botocore's own signer makes the signature, so it is the SDKs' byte for byte.
"""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from headwater.config import Config
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.iot.rules.model import Doc
from headwater.services.ports import DeliveryError, RoleSessions

SESSION_S = 3600  # the assumed role's session, as AWS's default AssumeRole duration
RENEW_S = 300  # a session is replaced this long before it expires
SESSION_NAME = "iot-rules-http"


class Signer:
    def __init__(self, ports: Ports, config: Config | None, clock: SystemClock) -> None:
        self.ports = ports
        self.config = config
        self.clock = clock
        self._sessions: dict[str, tuple[Credentials, float]] = {}  # role ARN -> (credentials, expiry)

    async def credentials(self, account: str, role_arn: str) -> Credentials:
        cached = self._sessions.get(role_arn)
        now = self.clock.now()
        if cached is not None and cached[1] - RENEW_S > now:
            return cached[0]
        sessions = self.ports.find(RoleSessions)
        if sessions is None:
            return self._configured(account)
        identity = await sessions.assume(role_arn, SESSION_NAME, SESSION_S)
        if identity is None:
            raise DeliveryError("AccessDeniedException", f"the role {role_arn} cannot be assumed")
        made = Credentials(identity.access_key, identity.secret, identity.session_token)
        self._sessions[role_arn] = (made, identity.expires)
        return made

    def _configured(self, account: str) -> Credentials:
        config = self.config
        if config is not None and config.auth == "strict" and config.credentials:
            key, secret = next(iter(config.credentials.items()))
            return Credentials(key, secret)
        return Credentials(account, "headwater")  # a 12-digit key acts in that account

    async def sign(
        self, account: str, sigv4: Doc, url: str, body: bytes, headers: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The headers to send: the given ones plus SigV4's (Authorization, X-Amz-Date and the
        session token)."""
        region, service = sigv4.get("signingRegion"), sigv4.get("serviceName")
        if not region or not service or not sigv4.get("roleArn"):
            raise DeliveryError(
                "InvalidRequestException", "sigv4 needs signingRegion, serviceName and roleArn"
            )
        credentials = await self.credentials(account, str(sigv4["roleArn"]))
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        signer = SigV4Auth(credentials, str(service), str(region))
        signer.add_auth(request)  # dated by the wall clock: the endpoint checks against its own
        return list(request.headers.items())
