"""TestAuthorization and GetEffectivePolicies through boto3, over the certificate and policy stores
and the thing registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:iot:us-east-1:000000000000"
UNKNOWN_CERT = f"{ARN}:cert/{'ab' * 32}"


def _certificate(iot: Any) -> str:
    return str(iot.create_keys_and_certificate(setAsActive=True)["certificateArn"])


def test_test_authorization_answers_aws_shapes(client: Callable[..., Any]) -> None:
    iot = client("iot", region="us-east-1")
    answer = iot.test_authorization(
        principal=_certificate(iot),
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
        (
            {"principal": UNKNOWN_CERT, "authInfos": [{"actionType": "CONNECT", "resources": ["*"]}]},
            "ResourceNotFoundException",
        ),
        ({"authInfos": [{"resources": ["*"]}]}, "InvalidRequestException"),
        (
            {"authInfos": [{"actionType": "CONNECT", "resources": ["*"]}], "policyNamesToAdd": ["nope"]},
            "ResourceNotFoundException",
        ),
    ],
)
def test_test_authorization_errors(client: Callable[..., Any], params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as raised:
        client("iot").test_authorization(**params)
    assert raised.value.response["Error"]["Code"] == code


def test_get_effective_policies_errors(client: Callable[..., Any]) -> None:
    iot = client("iot")
    for params in ({"principal": UNKNOWN_CERT}, {"principal": _certificate(iot), "thingName": "missing"}):
        with pytest.raises(ClientError) as raised:
            iot.get_effective_policies(**params)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


DEVICE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "iot:Connect",
            "Resource": "arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}",
            "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}},
        },
        {
            "Effect": "Allow",
            "Action": ["iot:Publish", "iot:Receive"],
            "Resource": "arn:aws:iot:us-east-1:000000000000:topic/things/${iot:Connection.Thing.ThingName}/*",
        },
    ],
}
GROUP_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "iot:Publish", "Resource": f"{ARN}:topic/things/*/admin"}],
}


def _decisions(iot: Any, cert: str, client_id: str, *infos: tuple[str, str]) -> list[str]:
    answer = iot.test_authorization(
        principal=cert,
        clientId=client_id,
        authInfos=[{"actionType": kind, "resources": [resource]} for kind, resource in infos],
    )
    return [result["authDecision"] for result in answer["authResults"]]


def test_policies_things_and_groups_end_to_end(client: Callable[..., Any]) -> None:
    iot = client("iot", region="us-east-1")
    cert = iot.create_keys_and_certificate(setAsActive=True)["certificateArn"]
    iot.create_policy(policyName="device", policyDocument=json.dumps(DEVICE_POLICY))
    iot.attach_policy(policyName="device", target=cert)
    # no thing yet: the thing variables do not resolve
    connect = iot.test_authorization(
        principal=cert,
        clientId="lamp-1",
        authInfos=[{"actionType": "CONNECT", "resources": [f"{ARN}:client/lamp-1"]}],
    )["authResults"][0]
    assert connect["authDecision"] == "IMPLICIT_DENY"
    assert connect["denied"]["implicitDeny"]["policies"][0]["policyName"] == "device"
    assert "iot:Connection.Thing.ThingName" in connect["missingContextValues"]

    iot.create_thing(thingName="lamp-1")
    iot.attach_thing_principal(thingName="lamp-1", principal=cert)
    group = iot.create_thing_group(thingGroupName="lights")["thingGroupArn"]
    iot.add_thing_to_thing_group(thingGroupName="lights", thingName="lamp-1")
    iot.create_policy(policyName="no-admin", policyDocument=json.dumps(GROUP_POLICY))
    iot.attach_policy(policyName="no-admin", target=group)

    assert _decisions(
        iot,
        cert,
        "lamp-1",
        ("CONNECT", f"{ARN}:client/lamp-1"),
        ("PUBLISH", f"{ARN}:topic/things/lamp-1/state"),
        ("PUBLISH", f"{ARN}:topic/things/lamp-2/state"),
        ("PUBLISH", f"{ARN}:topic/things/lamp-1/admin"),
        ("SUBSCRIBE", f"{ARN}:topicfilter/things/lamp-1/#"),
    ) == ["ALLOWED", "ALLOWED", "IMPLICIT_DENY", "EXPLICIT_DENY", "IMPLICIT_DENY"]
    # another client id: not the thing (non-exclusive attachment), and the group's policy does not apply
    assert _decisions(iot, cert, "other", ("CONNECT", f"{ARN}:client/other")) == ["IMPLICIT_DENY"]

    denied = iot.test_authorization(
        principal=cert,
        clientId="lamp-1",
        authInfos=[{"actionType": "PUBLISH", "resources": [f"{ARN}:topic/things/lamp-1/admin"]}],
        policyNamesToSkip=["no-admin"],
    )["authResults"][0]
    assert denied["authDecision"] == "ALLOWED"

    effective = iot.get_effective_policies(principal=cert, thingName="lamp-1")["effectivePolicies"]
    assert sorted(p["policyName"] for p in effective) == ["device", "no-admin"]
    assert (
        json.loads(next(p for p in effective if p["policyName"] == "device")["policyDocument"])
        == DEVICE_POLICY
    )
    assert [p["policyName"] for p in iot.get_effective_policies(principal=cert)["effectivePolicies"]] == [
        "device",
        "no-admin",
    ]


def test_create_policy_uses_the_engines_checks(client: Callable[..., Any]) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iot:Connect",
                "Resource": "*",
                "Condition": {"StringEqualz": {"iot:ClientId": "a"}},
            }
        ],
    }
    with pytest.raises(ClientError) as raised:
        client("iot").create_policy(policyName="bad", policyDocument=json.dumps(document))
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "MalformedPolicyException",
        "Policy document is Malformed: Invalid Condition operator: StringEqualz",
    )
