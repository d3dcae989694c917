"""IAM with boto3: a Terraform-like role lifecycle, managed policies and versions, AWS's errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture
def iam(client: Callable[..., Any]) -> Any:
    return client("iam", region="us-east-1")


def error(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_role_lifecycle_like_terraform(iam: Any) -> None:
    created = iam.create_role(
        RoleName="orders-fn",
        Path="/service-roles/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="runs orders",
        Tags=[{"Key": "team", "Value": "data"}],
    )["Role"]
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["Arn"] == "arn:aws:iam::000000000000:role/service-roles/orders-fn"
    assert created["AssumeRolePolicyDocument"] == TRUST  # sent URL-encoded, decoded by boto3
    role = iam.get_role(RoleName="orders-fn")["Role"]
    assert (role["Description"], role["MaxSessionDuration"], role["Tags"]) == (
        "runs orders",
        3600,
        [{"Key": "team", "Value": "data"}],
    )
    iam.attach_role_policy(RoleName="orders-fn", PolicyArn=BASIC)
    iam.put_role_policy(RoleName="orders-fn", PolicyName="read-s3", PolicyDocument=json.dumps(ALLOW_S3))
    assert iam.list_attached_role_policies(RoleName="orders-fn")["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}
    ]
    assert iam.list_role_policies(RoleName="orders-fn")["PolicyNames"] == ["read-s3"]
    assert iam.get_role_policy(RoleName="orders-fn", PolicyName="read-s3")["PolicyDocument"] == ALLOW_S3
    assert error(lambda: iam.delete_role(RoleName="orders-fn"))[0] == "DeleteConflict"
    iam.update_role(RoleName="orders-fn", MaxSessionDuration=7200)
    iam.update_role_description(RoleName="orders-fn", Description="new")
    ec2_trust = json.dumps(
        {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    )
    iam.update_assume_role_policy(RoleName="orders-fn", PolicyDocument=ec2_trust)
    role = iam.get_role(RoleName="orders-fn")["Role"]
    assert (role["MaxSessionDuration"], role["Description"]) == (7200, "new")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    iam.tag_role(RoleName="orders-fn", Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_role(RoleName="orders-fn", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="orders-fn")["Tags"] == [{"Key": "env", "Value": "dev"}]
    iam.detach_role_policy(RoleName="orders-fn", PolicyArn=BASIC)
    iam.delete_role_policy(RoleName="orders-fn", PolicyName="read-s3")
    iam.delete_role(RoleName="orders-fn")
    assert error(lambda: iam.get_role(RoleName="orders-fn")) == (
        "NoSuchEntity",
        "The role with name orders-fn cannot be found.",
        404,
    )


def test_role_errors(iam: Any) -> None:
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert error(lambda: iam.create_role(RoleName="R", AssumeRolePolicyDocument=json.dumps(TRUST))) == (
        "EntityAlreadyExists",
        "Role with name R already exists.",
        409,
    )
    for bad in (
        "{not json",
        json.dumps({"Version": "2012-10-17"}),
        json.dumps({"Version": "1999", "Statement": []}),
    ):
        assert error(lambda b=bad: iam.create_role(RoleName="x", AssumeRolePolicyDocument=b))[0] == (
            "MalformedPolicyDocument"
        )
    code, message, status = error(
        lambda: iam.create_role(RoleName="bad name!", AssumeRolePolicyDocument="{}")
    )
    assert (code, status) == ("ValidationError", 400) and "roleName" in message
    assert error(lambda: iam.create_role(RoleName="p", Path="no-slash", AssumeRolePolicyDocument="{}"))[
        0
    ] == ("ValidationError")
    assert error(lambda: iam.get_role_policy(RoleName="r", PolicyName="none"))[:2] == (
        "NoSuchEntity",
        "The role policy with name none cannot be found.",
    )
    assert error(
        lambda: iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::000000000000:policy/nope")
    )[0] == ("NoSuchEntity")
    bad_arn = "arn:aws:s3:::not-a-policy-arn"
    assert error(lambda: iam.attach_role_policy(RoleName="r", PolicyArn=bad_arn))[0] == "InvalidInput"
    assert error(lambda: iam.detach_role_policy(RoleName="r", PolicyArn=BASIC))[0] == "NoSuchEntity"
    assert iam.get_role(RoleName="R")["Role"]["RoleName"] == "r"  # names are unique regardless of case


def test_list_roles_path_prefix_and_pages(iam: Any) -> None:
    for i in range(5):
        iam.create_role(RoleName=f"app-{i}", Path="/app/", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_role(RoleName="ops", Path="/ops/", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/ops/")["Roles"]] == ["ops"]
    first = iam.list_roles(MaxItems=4)
    assert first["IsTruncated"] and len(first["Roles"]) == 4
    rest = iam.list_roles(Marker=first["Marker"])
    assert not rest["IsTruncated"]
    assert [r["RoleName"] for r in first["Roles"] + rest["Roles"]] == [f"app-{i}" for i in range(5)] + ["ops"]
    pages = iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
    assert sum(len(p["Roles"]) for p in pages) == 6


def test_managed_policies_and_versions(iam: Any) -> None:
    policy = iam.create_policy(PolicyName="reader", PolicyDocument=json.dumps(ALLOW_S3), Description="d")[
        "Policy"
    ]
    arn = policy["Arn"]
    assert arn == "arn:aws:iam::000000000000:policy/reader" and policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    assert error(lambda: iam.create_policy(PolicyName="reader", PolicyDocument=json.dumps(ALLOW_S3)))[0] == (
        "EntityAlreadyExists"
    )
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3))
    code, message, _ = error(
        lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3))
    )
    assert code == "LimitExceeded" and "up to 5 versions" in message
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        "v5",
        "v4",
        "v3",
        "v2",
        "v1",
    ]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3"))[0] == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3), SetAsDefault=True)
    assert version["PolicyVersion"]["VersionId"] == "v6" and version["PolicyVersion"]["IsDefaultVersion"]
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v6")["PolicyVersion"]["Document"] == ALLOW_S3
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.attach_role_policy(RoleName="r", PolicyArn=BASIC)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert local == ["reader"]
    attached = {p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]}
    assert attached == {arn, BASIC}
    aws = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {"AWSLambdaBasicExecutionRole", "AWSLambdaKinesisExecutionRole", "AmazonS3ReadOnlyAccess"} <= aws
    basic = iam.get_policy_version(PolicyArn=BASIC, VersionId="v1")["PolicyVersion"]["Document"]
    assert basic["Statement"][0]["Action"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    assert error(lambda: iam.delete_policy(PolicyArn=arn))[0] == "DeleteConflict"
    iam.detach_role_policy(RoleName="r", PolicyArn=arn)
    for v in ("v1", "v2", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v6")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    iam.delete_policy(PolicyArn=arn)
    assert error(lambda: iam.get_policy(PolicyArn=arn))[:2] == (
        "NoSuchEntity",
        f"Policy {arn} does not exist or is not attachable.",
    )


def test_service_linked_role(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticbeanstalk"
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "elasticbeanstalk.amazonaws.com"
    }
