"""TestAuthorization and GetEffectivePolicies through boto3 (the policy store and the registry are
not wired in on this branch yet: every check is an implicit deny with no policies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:iot:us-east-1:000000000000"
CERT = f"{ARN}:cert/{'ab' * 32}"


def test_test_authorization_answers_aws_shapes(client: Callable[..., Any]) -> None:
    iot = client("iot", region="us-east-1")
    answer = iot.test_authorization(
        principal=CERT,
        clientId="lamp-1",
        authInfos=[
            {"actionType": "CONNECT", "resources": [f"{ARN}:client/lamp-1"]},
            {"actionType": "PUBLISH", "resources": [f"{ARN}:topic/a", f"{ARN}:topic/b"]},
        ],
    )
    connect, publish = answer["authResults"]
    assert connect["authInfo"] == {"actionType": "CONNECT", "resources": [f"{ARN}:client/lamp-1"]}
    assert connect["authDecision"] == "IMPLICIT_DENY"
    assert connect["allowed"] == {"policies": []}
    assert connect["denied"] == {"implicitDeny": {"policies": []}, "explicitDeny": {"policies": []}}
    assert publish["authDecision"] == "IMPLICIT_DENY" and publish["missingContextValues"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {"principal": "not-a-principal", "authInfos": [{"actionType": "CONNECT", "resources": ["*"]}]},
            "InvalidRequestException",
        ),
        ({"principal": CERT, "authInfos": [{"resources": ["*"]}]}, "InvalidRequestException"),
        (
            {
                "principal": CERT,
                "authInfos": [{"actionType": "CONNECT", "resources": ["*"]}],
                "policyNamesToAdd": ["nope"],
            },
            "ResourceNotFoundException",
        ),
    ],
)
def test_test_authorization_errors(client: Callable[..., Any], params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        client("iot").test_authorization(**params)
    assert raised.value.response["Error"]["Code"] == code


def test_get_effective_policies(client: Callable[..., Any]) -> None:
    iot = client("iot")
    assert iot.get_effective_policies(principal=CERT)["effectivePolicies"] == []
    with pytest.raises(ClientError) as raised:
        iot.get_effective_policies(principal=CERT, thingName="missing")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
