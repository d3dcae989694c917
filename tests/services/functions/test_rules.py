"""Function names, concurrency admission and the execution-role trust check."""

from __future__ import annotations

import json

import pytest

from headwater.config import Config
from headwater.protocol.errors import AwsError
from headwater.services.base import Ports
from headwater.services.functions.concurrency import Concurrency
from headwater.services.functions.names import function_name
from headwater.services.functions.roles import check_role, trusts_lambda
from headwater.services.ports import Roles


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("f", ("f", None)),
        ("f:$LATEST", ("f", "$LATEST")),
        ("123456789012:function:f", ("f", None)),
        ("arn:aws:lambda:us-east-1:123456789012:function:f:live", ("f", "live")),
    ],
)
def test_function_names(value: str, expected: tuple[str, str | None]) -> None:
    assert function_name(value) == expected


def test_function_name_errors() -> None:
    with pytest.raises(AwsError, match="does not match the specified qualifier"):
        function_name("f:one", "two")
    with pytest.raises(AwsError, match="failed to satisfy constraint"):
        function_name("bad name")


def test_reserved_and_shared_concurrency() -> None:
    limits = Concurrency(20)
    limits.reserved["a/r/reserved"] = 1
    limits.admit("a/r/reserved")
    with pytest.raises(AwsError) as caught:
        limits.admit("a/r/reserved")
    assert caught.value.status == 429
    assert caught.value.details["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    for _ in range(19):  # the unreserved share is what the reservation leaves
        limits.admit("a/r/shared")
    with pytest.raises(AwsError) as caught:
        limits.admit("a/r/other")
    assert caught.value.details["Reason"] == "ConcurrentInvocationLimitExceeded"
    limits.admit("b/r/elsewhere")  # another account has its own limit
    limits.leave("a/r/shared")
    limits.admit("a/r/other")
    assert limits.can_reserve("a/r/x", 16) and not limits.can_reserve("a/r/x", 18)


def test_trust_policies() -> None:
    def policy(principal: object, action: object = "sts:AssumeRole", effect: str = "Allow") -> str:
        return json.dumps({"Statement": [{"Effect": effect, "Principal": principal, "Action": action}]})

    assert trusts_lambda(policy({"Service": "lambda.amazonaws.com"}))
    assert trusts_lambda(
        policy({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, ["sts:AssumeRole"])
    )
    assert not trusts_lambda(policy({"Service": "ec2.amazonaws.com"}))
    assert not trusts_lambda(policy({"Service": "lambda.amazonaws.com"}, effect="Deny"))
    assert not trusts_lambda(policy({"Service": "lambda.amazonaws.com"}, "s3:GetObject"))
    assert not trusts_lambda("not json")


def test_roles_are_checked_only_with_iam_and_the_checked_setting() -> None:
    trusted = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )

    class Iam:
        def trust_policy(self, role_arn: str) -> str | None:
            return trusted if role_arn.endswith("/good") else None

    class Core:
        def __init__(self, config: Config, ports: Ports) -> None:
            self.config = config
            self.ports = ports

    with_iam = Ports()
    with_iam.offer(Roles, Iam())
    check_role(Core(Config(), Ports()), "arn:aws:iam::000000000000:role/missing")  # no IAM: not checked
    check_role(Core(Config(function_roles="any"), with_iam), "arn:aws:iam::000000000000:role/missing")
    check_role(Core(Config(), with_iam), "arn:aws:iam::000000000000:role/good")
    with pytest.raises(AwsError) as caught:
        check_role(Core(Config(), with_iam), "arn:aws:iam::000000000000:role/missing")
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.message == "The role defined for the function cannot be assumed by Lambda."
