"""Tags of certificates, CA certificates and policies: the tags CreatePolicy and
RegisterCACertificate take, TagResource / ListTagsForResource / UntagResource on their ARNs (the
registry's tag store), and deletion dropping them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot_security import pki

ALLOW = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}'


@pytest.fixture
def iot(client: Callable[..., Any]) -> Any:
    return client("iot")


def _tags(iot: Any, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in iot.list_tags_for_resource(resourceArn=arn)["tags"]}


def _error(iot: Any, call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_policy_tags_from_create_to_delete(iot: Any) -> None:
    name = f"tagged-{uuid.uuid4().hex[:8]}"
    arn = iot.create_policy(policyName=name, policyDocument=ALLOW, tags=[{"Key": "team", "Value": "edge"}])[
        "policyArn"
    ]
    assert _tags(iot, arn) == {"team": "edge"}
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "core"}])
    assert _tags(iot, arn) == {"team": "core", "env": "dev"}
    iot.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert _tags(iot, arn) == {"env": "dev"}
    iot.delete_policy(policyName=name)
    assert _error(iot, lambda: iot.list_tags_for_resource(resourceArn=arn)) == "ResourceNotFoundException"
    iot.create_policy(policyName=name, policyDocument=ALLOW)  # the same name again: no old tags
    assert _tags(iot, arn) == {}
    iot.delete_policy(policyName=name)


def test_ca_certificate_tags_from_register_to_delete(iot: Any) -> None:
    ca = pki.UserCa("Tagged CA")
    registered = iot.register_ca_certificate(
        caCertificate=ca.pem,
        certificateMode="SNI_ONLY",
        tags=[{"Key": "owner", "Value": "plant-3"}],
    )
    arn, ca_id = registered["certificateArn"], registered["certificateId"]
    assert _tags(iot, arn) == {"owner": "plant-3"}
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "tier", "Value": "prod"}])
    assert _tags(iot, arn) == {"owner": "plant-3", "tier": "prod"}
    iot.delete_ca_certificate(certificateId=ca_id)
    assert _error(iot, lambda: iot.list_tags_for_resource(resourceArn=arn)) == "ResourceNotFoundException"
    again = iot.register_ca_certificate(caCertificate=ca.pem, certificateMode="SNI_ONLY")
    assert again["certificateArn"] == arn and _tags(iot, arn) == {}
    iot.delete_ca_certificate(certificateId=ca_id)


def test_certificate_tags_through_tag_resource(iot: Any) -> None:
    made = iot.create_keys_and_certificate(setAsActive=False)
    arn, cert_id = made["certificateArn"], made["certificateId"]
    assert _tags(iot, arn) == {}
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "device", "Value": "lamp"}])
    assert _tags(iot, arn) == {"device": "lamp"}
    iot.delete_certificate(certificateId=cert_id)
    assert _error(iot, lambda: iot.list_tags_for_resource(resourceArn=arn)) == "ResourceNotFoundException"
    unknown = arn.rsplit("/", 1)[0] + "/" + "0" * 64
    assert _error(iot, lambda: iot.tag_resource(resourceArn=unknown, tags=[{"Key": "a", "Value": "b"}])) == (
        "ResourceNotFoundException"
    )
