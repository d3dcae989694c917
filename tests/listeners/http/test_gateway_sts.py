"""STS on the gateway's Query wire, over ASGI without sockets: the real STS service on a memory
metadata store, botocore's serializers, signers and parsers as the client. Routing next to SQS,
the XML envelopes, AWS's validation messages and codes, and strict auth with issued credentials."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.config import Config
from headwater.engine.memory import MemoryMetaStore
from headwater.listeners.http.gateway import Gateway
from headwater.listeners.http.principals import Principals
from headwater.protocol.models import service_model
from headwater.runtime.clock import TestClock
from headwater.services.sts.api import sts_api
from headwater.services.sts.service import StsCore
from tests.listeners.http.test_gateway_query import ENDPOINT, FORM, FakeService, NoAdmin, Reply, call

STS = service_model("sts")
XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
KEY, SECRET = "123456789012", "account-secret"
ROLE = "arn:aws:iam::111122223333:role/deployer"
ANY = Credentials("test", "test")


class Stack:
    def __init__(self, **config: Any) -> None:
        self.config = Config(**config)
        self.clock = TestClock()
        self.core = StsCore(self.config, MemoryMetaStore(), self.clock)
        self.sqs = FakeService()
        self.kinesis = FakeService(service_model("kinesis"))
        services: dict[str, Any] = {"kinesis": self.kinesis, "sqs": self.sqs, "sts": sts_api(self.core)}
        principals = Principals(self.config, self.core.sessions)
        self.app = Gateway(self.config, services, NoAdmin(), self.clock, principals=principals)

    def send(
        self,
        operation: str,
        params: dict[str, Any] | None = None,
        credentials: Credentials | None = ANY,
        service: str = "sts",
    ) -> Reply:
        request = create_serializer("query", include_validation=False).serialize_to_request(
            params or {}, STS.operation_model(operation)
        )
        return self.raw(urlencode(request["body"]).encode(), credentials, service)

    def raw(self, body: bytes, credentials: Credentials | None, service: str = "sts") -> Reply:
        request = AWSRequest("POST", ENDPOINT + "/", data=body, headers={"Content-Type": FORM})
        if credentials is not None:
            # sign at the server's time: a test may have moved its clock
            when = dt.datetime.fromtimestamp(self.clock.now(), dt.UTC)
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        return call(self.app, "POST", ENDPOINT + "/", body, dict(request.headers.items()))


def parsed(operation: str, reply: Reply) -> dict[str, Any]:
    op = STS.operation_model(operation)
    response = {"status_code": reply.status, "headers": reply.headers, "body": reply.body}
    return create_parser("query").parse(response, op.output_shape if reply.status == 200 else None)


def error(reply: Reply) -> tuple[int, str, str]:
    text = reply.body.decode()
    assert text.startswith(f'<?xml version="1.0"?><ErrorResponse xmlns="{XMLNS}"><Error><Type>'), text
    assert "<Detail" not in text
    found = parsed("GetCallerIdentity", reply)["Error"]
    return reply.status, found["Code"], found["Message"]


def credentials_of(reply: Reply) -> Credentials:
    issued = parsed("AssumeRole", reply)["Credentials"]
    return Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])


def test_get_caller_identity_envelope() -> None:
    stack = Stack()
    reply = stack.send("GetCallerIdentity")
    assert reply.status == 200 and reply.headers["content-type"] == "text/xml"
    request_id = reply.headers["x-amzn-requestid"]
    assert reply.body.decode() == (
        f'<?xml version="1.0"?><GetCallerIdentityResponse xmlns="{XMLNS}"><GetCallerIdentityResult>'
        "<Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account>"
        f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    )


def test_routing_next_to_sqs() -> None:
    stack = Stack()
    unsigned = stack.raw(b"Action=GetCallerIdentity&Version=2011-06-15", None)
    assert parsed("GetCallerIdentity", unsigned)["Account"] == "000000000000"
    assert not stack.sqs.calls
    # an Action no service has is still SQS's InvalidAction (SQS comes first)
    sqs_style = stack.raw(b"Action=NoSuchAction&Version=2012-11-05", None)
    assert b"The action NoSuchAction is not valid for this endpoint." in sqs_style.body
    # signed for STS, STS's own words
    assert error(stack.raw(b"Action=NoSuchAction&Version=2011-06-15", Credentials("a", "b"))) == (
        400,
        "InvalidAction",
        "Could not find operation NoSuchAction for version 2011-06-15",
    )


@pytest.mark.parametrize(
    ("body", "version"),
    [
        (b"Action=GetCallerIdentity", "NO_VERSION_SPECIFIED"),
        (b"Action=GetCallerIdentity&Version=", ""),
        (b"Action=GetCallerIdentity&Version=2000-01-01", "2000-01-01"),
    ],
)
def test_the_version_selects_the_operation(body: bytes, version: str) -> None:
    assert error(Stack().raw(body, Credentials("a", "b"))) == (
        400,
        "InvalidAction",
        f"Could not find operation GetCallerIdentity for version {version}",
    )


PATTERN = r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"RoleSessionName": "s1"},
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        ),
        (
            {"RoleArn": ROLE},
            "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
        ),
        (
            {"RoleArn": "", "RoleSessionName": "s1"},
            f"Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: "
            f"{PATTERN}; Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than "
            "or equal to 20",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "a"},
            "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or "
            "equal to 2",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "bad/name"},
            r"Value 'bad/name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
            r"expression pattern: [\w+=,.@-]*",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "a" * 65},
            f"Value '{'a' * 65}' at 'roleSessionName' failed to satisfy constraint: Member must have length less "
            "than or equal to 64",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "s1", "DurationSeconds": "899"},
            "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or "
            "equal to 900",
        ),
        (
            {"RoleArn": ROLE, "RoleSessionName": "s1", "DurationSeconds": "43201"},
            "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or "
            "equal to 43200",
        ),
    ],
)
def test_assume_role_validation_errors(fields: dict[str, str], message: str) -> None:
    count = message.count("; ") + 1
    noun = "error" if count == 1 else "errors"
    body = urlencode({"Action": "AssumeRole", "Version": "2011-06-15", **fields}).encode()
    assert error(Stack().raw(body, Credentials("a", "b"))) == (
        400,
        "ValidationError",
        f"{count} validation {noun} detected: {message}",
    )


def test_other_validation_errors() -> None:
    stack = Stack()
    assert error(stack.send("GetSessionToken", {"DurationSeconds": 129601}))[1:] == (
        "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must "
        "have value less than or equal to 129600",
    )
    assert error(stack.send("GetAccessKeyInfo", {"AccessKeyId": "test"}))[1:] == (
        "ValidationError",
        "1 validation error detected: Value 'test' at 'accessKeyId' failed to satisfy constraint: Member must have "
        "length greater than or equal to 16",
    )
    malformed = stack.raw(
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=s&DurationSeconds=abc", None
    )
    assert error(malformed)[:2] == (400, "MalformedInput")


def test_issued_credentials_select_the_roles_account() -> None:
    stack = Stack()
    credentials = credentials_of(stack.send("AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"}))
    identity = parsed("GetCallerIdentity", stack.send("GetCallerIdentity", credentials=credentials))
    assert identity["Arn"] == "arn:aws:sts::111122223333:assumed-role/deployer/s1"
    stack.raw(b"Action=ListQueues&Version=2012-11-05", credentials, "sqs")
    assert stack.sqs.calls[-1][2].account == "111122223333"


# --- strict auth -----------------------------------------------------------------------------------


def strict() -> Stack:
    return Stack(auth="strict", credentials={KEY: SECRET})


def test_strict_mode_verifies_issued_credentials() -> None:
    stack = strict()
    credentials = credentials_of(
        stack.send("AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"}, Credentials(KEY, SECRET))
    )
    ok = stack.send("GetCallerIdentity", credentials=credentials)
    assert parsed("GetCallerIdentity", ok)["Account"] == "111122223333"
    wrong = Credentials(credentials.access_key, "not-the-secret", credentials.token)
    status, code, message = error(stack.send("GetCallerIdentity", credentials=wrong))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    for token in (None, "another-token"):
        forged = Credentials(credentials.access_key, credentials.secret_key, token)
        assert error(stack.send("GetCallerIdentity", credentials=forged)) == (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    stack.clock.advance(3600)
    assert error(stack.send("GetCallerIdentity", credentials=credentials)) == (
        403,
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    # the JSON services word it their way
    kinesis = AWSRequest(
        "POST",
        ENDPOINT + "/",
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams",
        },
    )
    when = dt.datetime.fromtimestamp(stack.clock.now(), dt.UTC)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(credentials, "kinesis", "us-east-1").add_auth(kinesis)
    reply = call(stack.app, "POST", ENDPOINT + "/", b"{}", dict(kinesis.headers.items()))
    assert (reply.status, reply.json()) == (
        400,
        {
            "__type": "ExpiredTokenException",
            "message": "The security token included in the request is expired",
        },
    )
    assert "x-amzn-query-error" not in reply.headers


def test_strict_mode_refuses_unsigned_requests_but_web_identity() -> None:
    stack = strict()
    assert error(stack.send("GetCallerIdentity", credentials=None)) == (
        403,
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
    )
    params = {"RoleArn": ROLE, "RoleSessionName": "web", "WebIdentityToken": "token"}
    reply = stack.send("AssumeRoleWithWebIdentity", params, credentials=None)
    assert parsed("AssumeRoleWithWebIdentity", reply)["AssumedRoleUser"]["Arn"].endswith("/deployer/web")
