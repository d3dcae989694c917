"""The http action's auth.sigv4: the request is signed as the role (credentials from STS's
RoleSessions port, one session reused) and verifies with Headwater's own SigV4 checker."""

from __future__ import annotations

import asyncio
import time

import pytest

from headwater.config import Config
from headwater.protocol.auth.sigv4 import verify
from headwater.runtime.clock import TestClock
from headwater.services.base import Ports
from headwater.services.iot.rules.signing import Signer
from headwater.services.ports import DeliveryError, Identity, RoleSessions

ROLE = "arn:aws:iam::111122223333:role/iot-http"
SIGV4 = {"signingRegion": "eu-west-1", "serviceName": "execute-api", "roleArn": ROLE}


class Sessions:
    def __init__(self) -> None:
        self.assumed: list[str] = []

    async def assume(self, role_arn: str, session_name: str, duration_s: int) -> Identity | None:
        if not role_arn.startswith("arn:aws:iam::"):
            return None
        self.assumed.append(role_arn)
        return Identity(
            "ASIAEXAMPLE", "s3cret", "token-1", "111122223333", f"{role_arn}/{session_name}", "AROA:x",
            time.time() + duration_s, "assumed-role",
        )  # fmt: skip


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in pairs}


def test_a_request_is_signed_as_the_role_and_verifies() -> None:
    async def scenario() -> None:
        ports, sessions = Ports(), Sessions()
        ports.offer(RoleSessions, sessions)
        signer = Signer(ports, Config(), TestClock())
        body = b'{"temp": 21}'
        url = "https://api.example.com/prod/readings?unit=c"
        signed = await signer.sign("000000000000", SIGV4, url, body, [("Content-Type", "application/json")])
        headers = _headers(signed)
        assert headers["content-type"] == "application/json"
        assert headers["x-amz-security-token"] == "token-1"
        assert "/eu-west-1/execute-api/aws4_request" in headers["authorization"]
        wire = [(k, v) for k, v in headers.items()] + [("host", "api.example.com")]
        credential = verify(
            "POST", "/prod/readings", "unit=c", wire, body, {"ASIAEXAMPLE": "s3cret"}.get, time.time()
        )
        assert credential.access_key == "ASIAEXAMPLE"
        await signer.sign("000000000000", SIGV4, url, body, [])
        assert sessions.assumed == [ROLE]  # the session is reused until it nears its expiry

    asyncio.run(scenario())


def test_without_sts_the_configured_credentials_sign_and_a_bad_role_fails() -> None:
    async def scenario() -> None:
        signer = Signer(Ports(), Config(), TestClock())
        signed = _headers(await signer.sign("000000000000", SIGV4, "http://h/x", b"", []))
        assert signed["authorization"].startswith("AWS4-HMAC-SHA256 Credential=000000000000/")
        ports = Ports()
        ports.offer(RoleSessions, Sessions())
        with pytest.raises(DeliveryError):
            await Signer(ports, Config(), TestClock()).sign(
                "000000000000", {**SIGV4, "roleArn": "arn:aws:s3:::not-a-role"}, "http://h/x", b"", []
            )

    asyncio.run(scenario())
