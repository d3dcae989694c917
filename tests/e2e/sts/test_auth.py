"""Issued credentials under `--auth strict`: signed with their secret and session token they verify
in every front end (STS, SQS, Kinesis, S3); a wrong secret is each service's signature error; once
expired (the test clock moved past Expiration) each service answers its expired-token error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest

from tests.e2e.sts.test_sts import ROLE, ROLE_ACCOUNT, as_role, client, error_of
from tests.e2e.support.server import Server, serving

KEY, SECRET = "123456789012", "account-secret"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    flags = f"--durability memory --limits off --transition-delay 0 --test-mode on --auth strict --credentials {KEY}:{SECRET}"
    with serving(tmp_path_factory, "sts-strict", flags) as running:
        yield running


@pytest.fixture
def endpoint(strict: Server) -> str:
    strict.reset()  # also sets the clock back
    return strict.endpoint


def assume(endpoint: str, **params: Any) -> dict[str, Any]:
    sts = client(endpoint, "sts", KEY, SECRET)
    return sts.assume_role(RoleArn=ROLE, RoleSessionName="build-42", **params)["Credentials"]  # type: ignore[no-any-return]


@contextmanager
def signing_at(epoch: float) -> Iterator[None]:
    """Clients sign with the server's (moved) time, so the signature's own window still holds."""
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=when),
        mock.patch("botocore.crt.auth.get_current_datetime", return_value=when),
    ):
        yield


def test_issued_credentials_verify_in_every_front_end(endpoint: str) -> None:
    credentials = assume(endpoint)
    identity = as_role(endpoint, credentials, "sts").get_caller_identity()
    assert identity["Account"] == ROLE_ACCOUNT
    url = as_role(endpoint, credentials, "sqs").create_queue(QueueName="jobs")["QueueUrl"]
    assert url == f"{endpoint}/{ROLE_ACCOUNT}/jobs"
    kinesis = as_role(endpoint, credentials, "kinesis")
    kinesis.create_stream(StreamName="events", ShardCount=1)
    assert kinesis.list_streams()["StreamNames"] == ["events"]
    s3 = as_role(endpoint, credentials, "s3", s3={"addressing_style": "path"})
    s3.create_bucket(Bucket="role-bucket")
    s3.put_object(Bucket="role-bucket", Key="k", Body=b"signed with a session")
    assert s3.get_object(Bucket="role-bucket", Key="k")["Body"].read() == b"signed with a session"


def test_a_wrong_secret_is_each_services_signature_error(endpoint: str) -> None:
    credentials = {**assume(endpoint), "SecretAccessKey": "not-the-secret"}
    assert error_of(as_role(endpoint, credentials, "sts").get_caller_identity)[:2] == (
        403,
        "SignatureDoesNotMatch",
    )
    assert error_of(as_role(endpoint, credentials, "sqs").list_queues)[:2] == (403, "SignatureDoesNotMatch")
    assert error_of(as_role(endpoint, credentials, "kinesis").list_streams)[:2] == (
        400,
        "InvalidSignatureException",
    )
    assert error_of(as_role(endpoint, credentials, "s3").list_buckets)[:2] == (403, "SignatureDoesNotMatch")


def test_a_session_token_must_come_with_its_key(endpoint: str) -> None:
    credentials = {**assume(endpoint), "SessionToken": "not-the-token"}
    assert error_of(as_role(endpoint, credentials, "sts").get_caller_identity) == (
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )
    assert error_of(as_role(endpoint, credentials, "kinesis").list_streams)[:2] == (
        400,
        "UnrecognizedClientException",
    )
    assert error_of(as_role(endpoint, credentials, "s3").list_buckets) == (
        400,
        "InvalidToken",
        "The provided token is malformed or otherwise invalid.",
    )


def test_expired_credentials_fail_as_each_service_words_it(strict: Server, endpoint: str) -> None:
    credentials = assume(endpoint, DurationSeconds=900)
    sts, sqs = as_role(endpoint, credentials, "sts"), as_role(endpoint, credentials, "sqs")
    kinesis, s3 = as_role(endpoint, credentials, "kinesis"), as_role(endpoint, credentials, "s3")
    assert sts.get_caller_identity()["Account"] == ROLE_ACCOUNT
    now = float(strict.admin("POST", "clock", {"advance": 900})["now"])  # type: ignore[arg-type]
    with signing_at(now):
        assert error_of(sts.get_caller_identity) == (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
        assert error_of(sqs.list_queues)[1:] == (
            "ExpiredToken",
            "The security token included in the request is expired",
        )
        assert error_of(kinesis.list_streams) == (
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
        assert error_of(s3.list_buckets) == (400, "ExpiredToken", "The provided token has expired.")
        # the account's own keys still work at that time
        assert client(endpoint, "sts", KEY, SECRET).get_caller_identity()["Account"] == KEY
