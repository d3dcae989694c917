"""STS end to end with boto3 and the AWS CLI: caller identities, assumed roles whose credentials act
in the role's account across services, AWS's validation errors, persistence across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.support.cli import Cli
from tests.e2e.support.server import Server

ROLE_ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ROLE_ACCOUNT}:role/ops/deployer"
ASSUMED = f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/deployer/build-42"


def client(
    endpoint: str,
    service: str,
    key: str = "test",
    secret: str = "test",
    token: str | None = None,
    **config: Any,
):  # noqa: ANN201, E501
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def as_role(endpoint: str, credentials: dict[str, Any], service: str, **config: Any):  # noqa: ANN201
    return client(
        endpoint,
        service,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        **config,
    )


def error_of(call, **kwargs: Any) -> tuple[int, str, str]:  # noqa: ANN001
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_caller_identity_of_the_default_and_of_a_12_digit_key(endpoint: str) -> None:
    identity = client(endpoint, "sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (
        "000000000000",
        "arn:aws:iam::000000000000:root",
        "000000000000",
    )
    own = client(endpoint, "sts", key="123456789012").get_caller_identity()
    assert (own["Account"], own["Arn"]) == ("123456789012", "arn:aws:iam::123456789012:root")


def test_assumed_role_credentials_act_in_the_roles_account(endpoint: str) -> None:
    sts = client(endpoint, "sts")
    assumed = sts.assume_role(RoleArn=ROLE, RoleSessionName="build-42", DurationSeconds=900)
    assert assumed["AssumedRoleUser"]["Arn"] == ASSUMED
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20

    identity = as_role(endpoint, credentials, "sts").get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ROLE_ACCOUNT, ASSUMED)
    assert identity["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]

    url = as_role(endpoint, credentials, "sqs").create_queue(QueueName="jobs")["QueueUrl"]
    assert url == f"{endpoint}/{ROLE_ACCOUNT}/jobs"
    assert client(endpoint, "sqs").list_queues().get("QueueUrls", []) == []  # not the default account's

    kinesis = as_role(endpoint, credentials, "kinesis")
    kinesis.create_stream(StreamName="events", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="events")["StreamDescriptionSummary"]["StreamARN"]
    assert arn == f"arn:aws:kinesis:us-east-1:{ROLE_ACCOUNT}:stream/events"
    # the same key through the Query dialect of SQS and via GetAccessKeyInfo
    assert client(endpoint, "sts").get_access_key_info(AccessKeyId=credentials["AccessKeyId"])["Account"] == (
        ROLE_ACCOUNT
    )


def test_get_session_token(endpoint: str) -> None:
    sts = client(endpoint, "sts", key="123456789012")
    credentials = sts.get_session_token()["Credentials"]
    session = as_role(endpoint, credentials, "sts")
    assert session.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    assert error_of(session.get_session_token) == (
        403,
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"RoleSessionName": "bad name"},
            r"1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
        ),
        (
            {"RoleSessionName": "x"},
            "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must "
            "have length greater than or equal to 2",
        ),
        (
            {"DurationSeconds": 43201},
            "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member "
            "must have value less than or equal to 43200",
        ),
        ({"RoleArn": "x" * 20}, f"{'x' * 20} is invalid"),
    ],
)
def test_validation_errors(endpoint: str, params: dict[str, Any], message: str) -> None:
    sts = client(endpoint, "sts", parameter_validation=False)
    call = {"RoleArn": ROLE, "RoleSessionName": "build-42", **params}
    assert error_of(sts.assume_role, **call) == (400, "ValidationError", message)


def test_role_chaining_limit(endpoint: str) -> None:
    credentials = client(endpoint, "sts").assume_role(RoleArn=ROLE, RoleSessionName="a1")["Credentials"]
    chained = as_role(endpoint, credentials, "sts")
    assert error_of(chained.assume_role, RoleArn=ROLE, RoleSessionName="a2", DurationSeconds=7200) == (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )


def test_reset_drops_issued_credentials(server: Server, endpoint: str) -> None:
    credentials = client(endpoint, "sts").assume_role(RoleArn=ROLE, RoleSessionName="a1")["Credentials"]
    server.reset()
    # in open mode an unknown key is the default account's
    assert as_role(endpoint, credentials, "sts").get_caller_identity()["Account"] == "000000000000"


def test_issued_credentials_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    flags = ("--durability", "durable", "--limits", "off", "--transition-delay", "0")
    server = Server(data_dir, *flags).start()
    try:
        credentials = client(server.endpoint, "sts").assume_role(RoleArn=ROLE, RoleSessionName="build-42")[
            "Credentials"
        ]
        assert server.stop() == 0
        server = Server(data_dir, *flags).start()
        identity = as_role(server.endpoint, credentials, "sts").get_caller_identity()
        assert (identity["Account"], identity["Arn"]) == (ROLE_ACCOUNT, ASSUMED)
    finally:
        server.stop()


def test_cli_get_caller_identity_and_assume_role(endpoint: str, tmp_path: Path) -> None:
    aws = Cli(endpoint, tmp_path, "sts", timeout=60)
    assert aws("get-caller-identity") == {
        "UserId": "000000000000",
        "Account": "000000000000",
        "Arn": "arn:aws:iam::000000000000:root",
    }
    assumed = aws("assume-role", "--role-arn", ROLE, "--role-session-name", "build-42")
    assert assumed["AssumedRoleUser"]["Arn"] == ASSUMED
    failed = aws.run("assume-role", "--role-arn", ROLE, "--role-session-name", "bad name")
    assert failed.returncode != 0
    assert "An error occurred (ValidationError) when calling the AssumeRole operation" in failed.stderr
