"""The shadow REST API on the device gateway's X.509 HTTPS port (boto3's iot-data with a client
certificate): the certificate's IoT policies must allow iot:GetThingShadow, iot:UpdateThingShadow,
iot:DeleteThingShadow on `thing/<thing>` or `thing/<thing>/<shadow>`, as at AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot_shadow.conftest import document, update
from tests.e2e.support.clients import client_for


def _device_client(aws: Gateway, tmp_path: Path, policy: dict[str, Any] | None = None) -> Any:
    iot = aws.iot()
    made = iot.create_keys_and_certificate(setAsActive=True)
    cert, key = tmp_path / "shadow.pem.crt", tmp_path / "shadow.private.key"
    cert.write_text(made["certificatePem"])
    key.write_text(made["keyPair"]["PrivateKey"])
    if policy is not None:
        name = f"shadow-{made['certificateId'][:12]}"
        iot.create_policy(policyName=name, policyDocument=json.dumps(policy))
        iot.attach_policy(policyName=name, target=made["certificateArn"])
    return client_for(
        f"https://localhost:{aws.https}", "iot-data", verify=aws.root_ca, client_cert=(str(cert), str(key))
    )


def _arn(resource: str) -> str:
    return f"arn:aws:iot:us-east-1:000000000000:{resource}"


def test_a_certificate_uses_the_shadow_api_its_policy_allows(aws: Gateway, tmp_path: Path) -> None:
    allow = [
        {
            "Effect": "Allow",
            "Action": ["iot:GetThingShadow", "iot:UpdateThingShadow"],
            "Resource": _arn("thing/cert-bulb"),
        },
        {
            "Effect": "Allow",
            "Action": "iot:DeleteThingShadow",
            "Resource": _arn("thing/cert-bulb/extra"),
        },
        {
            "Effect": "Allow",
            "Action": "iot:UpdateThingShadow",
            "Resource": _arn("thing/cert-bulb/extra"),
        },
    ]
    device = _device_client(aws, tmp_path, {"Version": "2012-10-17", "Statement": allow})
    accepted = update(device, "cert-bulb", {"reported": {"color": "red"}}, clientToken="https")
    assert accepted["version"] == 1 and accepted["clientToken"] == "https"
    # one store: the SigV4 API sees what the certificate wrote
    assert document(aws.iot("iot-data").get_thing_shadow(thingName="cert-bulb"))["state"] == {
        "reported": {"color": "red"}
    }
    assert document(device.get_thing_shadow(thingName="cert-bulb"))["version"] == 1
    update(device, "cert-bulb", {"desired": {"x": 1}}, name="extra")
    assert document(device.delete_thing_shadow(thingName="cert-bulb", shadowName="extra"))["version"] == 1

    for call in (
        lambda: device.delete_thing_shadow(thingName="cert-bulb"),  # no DeleteThingShadow on the classic one
        lambda: device.get_thing_shadow(thingName="cert-bulb", shadowName="extra"),
        lambda: update(device, "other-thing", {"reported": {"a": 1}}),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as excinfo:
        update(device, "cert-bulb", {"reported": {"a": 1}}, version=7)
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"


def test_a_certificate_without_policies_is_refused(aws: Gateway, tmp_path: Path) -> None:
    device = _device_client(aws, tmp_path)
    with pytest.raises(ClientError) as excinfo:
        device.get_thing_shadow(thingName="cert-bulb")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
