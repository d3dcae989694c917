"""Policies, their versions and their attachments with boto3, and DescribeEndpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot_security import pki

DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]}
)


def doc(action: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [action], "Resource": ["*"]}]}
    )


@pytest.fixture
def iot(client: Callable[..., Any]) -> Any:
    return client("iot")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_get_list_delete(iot: Any) -> None:
    made = iot.create_policy(policyName="connect", policyDocument=DOC)
    assert made["policyArn"] == "arn:aws:iot:us-east-1:000000000000:policy/connect"
    assert (made["policyDocument"], made["policyVersionId"]) == (DOC, "1")
    got = iot.get_policy(policyName="connect")
    assert (got["defaultVersionId"], got["policyDocument"]) == ("1", DOC)
    assert got["creationDate"] and got["lastModifiedDate"] and got["generationId"]
    with pytest.raises(ClientError) as excinfo:
        iot.create_policy(policyName="connect", policyDocument=DOC)
    assert _error(excinfo) == (
        "ResourceAlreadyExistsException",
        409,
        "Policy cannot be created - name already exists (name=connect)",
    )
    for name in ("b", "a", "c"):
        iot.create_policy(policyName=name, policyDocument=DOC)
    first = iot.list_policies(pageSize=2)
    rest = iot.list_policies(pageSize=2, marker=first["nextMarker"])
    assert [p["policyName"] for p in first["policies"] + rest["policies"]] == ["a", "b", "c", "connect"]
    iot.delete_policy(policyName="connect")
    with pytest.raises(ClientError) as excinfo:
        iot.get_policy(policyName="connect")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        iot.delete_policy(policyName="connect")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"Version": "2012-10-17"}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "iot:*", "Resource": "*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "topic/a"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "publish", "Resource": "*"}]}',
        '{"Version": "1999-01-01", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}',
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*", "X": 1}]}',
    ],
)
def test_malformed_documents_are_refused(iot: Any, document: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        iot.create_policy(policyName="bad", policyDocument=document)
    code, status, message = _error(excinfo)
    assert (code, status) == ("MalformedPolicyException", 400)
    assert message.startswith("Policy document is Malformed")


def test_versions(iot: Any) -> None:
    iot.create_policy(policyName="p", policyDocument=doc("iot:Connect"))
    two = iot.create_policy_version(policyName="p", policyDocument=doc("iot:Publish"))
    assert (two["policyVersionId"], two["isDefaultVersion"]) == ("2", False)
    three = iot.create_policy_version(policyName="p", policyDocument=doc("iot:Subscribe"), setAsDefault=True)
    assert (three["policyVersionId"], three["isDefaultVersion"]) == ("3", True)
    assert iot.get_policy(policyName="p")["policyDocument"] == doc("iot:Subscribe")
    got = iot.get_policy_version(policyName="p", policyVersionId="2")
    assert (got["policyDocument"], got["isDefaultVersion"], got["policyName"]) == (
        doc("iot:Publish"),
        False,
        "p",
    )
    versions = iot.list_policy_versions(policyName="p")["policyVersions"]
    assert [(v["versionId"], v["isDefaultVersion"]) for v in versions] == [
        ("3", True),
        ("2", False),
        ("1", False),
    ]
    iot.create_policy_version(policyName="p", policyDocument=doc("iot:Receive"))
    iot.create_policy_version(policyName="p", policyDocument=doc("iot:Receive"))
    with pytest.raises(ClientError) as excinfo:
        iot.create_policy_version(policyName="p", policyDocument=doc("iot:Receive"))
    assert _error(excinfo) == (
        "VersionsLimitExceededException",
        409,
        "The policy p already has the maximum number of versions (5)",
    )
    with pytest.raises(ClientError) as excinfo:
        iot.delete_policy_version(policyName="p", policyVersionId="3")
    assert _error(excinfo)[:2] == ("DeleteConflictException", 409)
    with pytest.raises(ClientError) as excinfo:
        iot.delete_policy(policyName="p")
    assert _error(excinfo) == (
        "DeleteConflictException",
        409,
        "The policy cannot be deleted as versions other than the default version exist (name=p)",
    )
    iot.set_default_policy_version(policyName="p", policyVersionId="1")
    assert iot.get_policy(policyName="p")["defaultVersionId"] == "1"
    for version in ("2", "3", "4", "5"):
        iot.delete_policy_version(policyName="p", policyVersionId=version)
    six = iot.create_policy_version(policyName="p", policyDocument=doc("iot:Publish"))
    assert six["policyVersionId"] == "6"  # ids are never reused
    with pytest.raises(ClientError) as excinfo:
        iot.get_policy_version(policyName="p", policyVersionId="2")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        iot.set_default_policy_version(policyName="p", policyVersionId="9")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_attachments(iot: Any) -> None:
    iot.create_policy(policyName="p", policyDocument=DOC)
    iot.create_policy(policyName="q", policyDocument=DOC)
    cert = iot.create_certificate_from_csr(certificateSigningRequest=pki.csr())["certificateArn"]
    group = "arn:aws:iot:us-east-1:000000000000:thinggroup/floor-1"
    cognito = "us-east-1:11111111-2222-3333-4444-555555555555"
    iot.attach_policy(policyName="p", target=cert)
    iot.attach_policy(policyName="p", target=cert)  # idempotent
    iot.attach_policy(policyName="p", target=group)
    iot.attach_principal_policy(policyName="q", principal=cert)  # the legacy header form
    iot.attach_policy(policyName="q", target=cognito)
    assert [p["policyName"] for p in iot.list_attached_policies(target=cert)["policies"]] == ["p", "q"]
    assert [
        p["policyName"] for p in iot.list_attached_policies(target=group, recursive=True)["policies"]
    ] == ["p"]
    assert [p["policyName"] for p in iot.list_principal_policies(principal=cert)["policies"]] == ["p", "q"]
    assert sorted(iot.list_targets_for_policy(policyName="p")["targets"]) == sorted([cert, group])
    assert sorted(iot.list_policy_principals(policyName="q")["principals"]) == sorted([cert, cognito])
    assert iot.list_policy_principals(policyName="p")["principals"] == [
        cert
    ]  # thing groups are no principals

    with pytest.raises(ClientError) as excinfo:
        iot.delete_policy(policyName="p")
    assert _error(excinfo) == (
        "DeleteConflictException",
        409,
        "The policy cannot be deleted as the policy is attached to one or more principals (name=p)",
    )
    for bad in ("nonsense", "arn:aws:iot:us-east-1:000000000000:cert/" + "0" * 64):
        with pytest.raises(ClientError) as excinfo:
            iot.attach_policy(policyName="p", target=bad)
        assert _error(excinfo)[0] in ("InvalidRequestException", "ResourceNotFoundException")
    with pytest.raises(ClientError) as excinfo:
        iot.attach_policy(policyName="nope", target=cert)
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)

    iot.detach_policy(policyName="p", target=cert)
    iot.detach_policy(policyName="p", target=group)
    iot.detach_principal_policy(policyName="q", principal=cert)
    assert iot.list_attached_policies(target=cert)["policies"] == []
    iot.delete_policy(policyName="p")
    assert iot.list_targets_for_policy(policyName="q")["targets"] == [cognito]


def test_describe_endpoint(iot: Any, client: Callable[..., Any]) -> None:
    import socket

    try:
        socket.getaddrinfo("probe.iot.us-east-1.localhost", None)
        resolves = True
    except OSError:
        resolves = False
    ats = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    default = iot.describe_endpoint()["endpointAddress"]
    if resolves:
        assert ats.endswith("-ats.iot.us-east-1.localhost") and len(ats.split("-ats.")[0]) == 14
        assert default.endswith(".iot.us-east-1.localhost") and "-ats" not in default
        other = client("iot", access_key="444444444444", region="eu-west-1")
        assert other.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"].endswith(
            "-ats.iot.eu-west-1.localhost"
        )
        assert iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"] == ats  # stable
    else:
        assert ats == default == "localhost"
    for kind in ("iot:CredentialProvider", "iot:Jobs"):
        assert iot.describe_endpoint(endpointType=kind)["endpointAddress"]
    with pytest.raises(ClientError) as excinfo:
        iot.describe_endpoint(endpointType="iot:Nope")
    assert _error(excinfo)[:2] == ("InvalidRequestException", 400)
