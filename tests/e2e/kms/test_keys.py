"""KMS keys and aliases through boto3 against a live server: lifecycle, listing, tags, policies,
rotation settings, scheduled deletion on the test clock, and KMS's exact errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server

ACCOUNT = "000000000000"
ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}"
DAY = 86_400


@pytest.fixture
def kms(endpoint: str):  # noqa: ANN201
    return client_for(endpoint, "kms")


PREDEFINED = ["alias/aws/kinesis", "alias/aws/s3", "alias/aws/sqs"]


def bound(kms: Any) -> list[dict[str, Any]]:
    """ListAliases without AWS's predefined aliases that name no key yet."""
    return [a for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a]


def fails(code: str, call: Callable[..., Any], **params: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**params)
    assert info.value.response["Error"]["Code"] == code, info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]["Message"]


def test_create_describe_and_list(kms) -> None:  # noqa: ANN001
    meta = kms.create_key(Description="orders", Tags=[{"TagKey": "team", "TagValue": "data"}])["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == f"{ARN}:key/{key_id}" and meta["AWSAccountId"] == ACCOUNT
    assert (meta["KeyState"], meta["Enabled"], meta["KeyManager"]) == ("Enabled", True, "CUSTOMER")
    assert (meta["KeySpec"], meta["KeyUsage"], meta["Origin"]) == (
        "SYMMETRIC_DEFAULT",
        "ENCRYPT_DECRYPT",
        "AWS_KMS",
    )
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"] and meta["Description"] == "orders"
    for ref in (key_id, meta["Arn"]):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key_id
    kms.update_key_description(KeyId=key_id, Description="orders v2")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "orders v2"
    assert kms.list_keys()["Keys"] == [{"KeyId": key_id, "KeyArn": meta["Arn"]}]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "data"}]


def test_list_keys_and_aliases_paginate(kms) -> None:  # noqa: ANN001
    ids = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)]
    for index, key_id in enumerate(ids):
        kms.create_alias(AliasName=f"alias/k{index}", TargetKeyId=key_id)
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert seen == ids
    pages = list(kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4  # AWS's three predefined aliases (no key yet), then ours
    assert [a["AliasName"] for p in pages for a in p["Aliases"]] == [
        *PREDEFINED,
        *(f"alias/k{i}" for i in range(5)),
    ]
    assert kms.list_aliases(KeyId=ids[3])["Aliases"][0]["AliasName"] == "alias/k3"
    fails("InvalidMarkerException", kms.list_keys, Marker="garbage!")


def test_enable_disable_and_their_errors(kms) -> None:  # noqa: ANN001
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    message = fails("DisabledException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert message == f"{key['Arn']} is disabled."
    kms.enable_key(KeyId=key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    missing = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
    assert (
        fails("NotFoundException", kms.describe_key, KeyId=missing)
        == f"Key '{ARN}:key/{missing}' does not exist"
    )
    assert fails("NotFoundException", kms.enable_key, KeyId="not-a-key") == "Invalid keyId not-a-key"
    assert (
        fails("NotFoundException", kms.describe_key, KeyId="alias/none")
        == f"Alias {ARN}:alias/none is not found."
    )


def test_unsupported_key_kinds_are_refused(kms) -> None:  # noqa: ANN001
    fails("UnsupportedOperationException", kms.create_key, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    fails("UnsupportedOperationException", kms.create_key, KeyUsage="GENERATE_VERIFY_MAC", KeySpec="HMAC_256")
    fails("UnsupportedOperationException", kms.create_key, Origin="EXTERNAL")
    fails("UnsupportedOperationException", kms.create_key, MultiRegion=True)
    fails("MalformedPolicyDocumentException", kms.create_key, Policy="{not json")
    fails("TagException", kms.create_key, Tags=[{"TagKey": "aws:x", "TagValue": "v"}])
    assert kms.list_keys()["Keys"] == []


def test_aliases(kms) -> None:  # noqa: ANN001
    first, second = (kms.create_key()["KeyMetadata"] for _ in range(2))
    kms.create_alias(AliasName="alias/app", TargetKeyId=first["Arn"])
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == first["KeyId"]
    assert kms.describe_key(KeyId=f"{ARN}:alias/app")["KeyMetadata"]["KeyId"] == first["KeyId"]
    message = fails(
        "AlreadyExistsException", kms.create_alias, AliasName="alias/app", TargetKeyId=second["KeyId"]
    )
    assert message == f"An alias with the name {ARN}:alias/app already exists"
    kms.update_alias(AliasName="alias/app", TargetKeyId=second["KeyId"])
    (entry,) = bound(kms)
    assert (entry["AliasName"], entry["AliasArn"], entry["TargetKeyId"]) == (
        "alias/app",
        f"{ARN}:alias/app",
        second["KeyId"],
    )
    assert entry["LastUpdatedDate"] >= entry["CreationDate"]
    fails("ValidationException", kms.create_alias, AliasName="app", TargetKeyId=first["KeyId"])
    fails("ValidationException", kms.create_alias, AliasName="alias/a:b", TargetKeyId=first["KeyId"])
    fails("NotAuthorizedException", kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=first["KeyId"])
    fails("ValidationException", kms.create_alias, AliasName="alias/x", TargetKeyId="alias/app")
    fails("NotFoundException", kms.update_alias, AliasName="alias/none", TargetKeyId=first["KeyId"])
    kms.delete_alias(AliasName="alias/app")
    assert bound(kms) == []
    assert (
        fails("NotFoundException", kms.delete_alias, AliasName="alias/app")
        == f"Alias {ARN}:alias/app is not found."
    )


def test_aws_managed_keys_appear_once_used_and_cannot_be_managed(kms, endpoint: str) -> None:  # noqa: ANN001
    assert [a["AliasName"] for a in kms.list_aliases()["Aliases"]] == PREDEFINED
    assert bound(kms) == []
    sqs = client_for(endpoint, "sqs")
    sqs.create_queue(QueueName="q", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    (alias,) = bound(kms)
    assert alias["AliasName"] == "alias/aws/sqs"
    meta = kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["KeyId"] == alias["TargetKeyId"]
    assert fails("AccessDeniedException", kms.disable_key, KeyId=meta["KeyId"]).startswith("User: ")
    fails("AccessDeniedException", kms.schedule_key_deletion, KeyId=meta["KeyId"])
    fails("NotAuthorizedException", kms.delete_alias, AliasName="alias/aws/sqs")
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    # DescribeKey of a managed alias creates its key, as on AWS
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"


def test_tags(kms) -> None:  # noqa: ANN001
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "3"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "a", "TagValue": "3"},
        {"TagKey": "b", "TagValue": "2"},
    ]
    page = kms.list_resource_tags(KeyId=key_id, Limit=1)
    assert page["Truncated"] is True and len(page["Tags"]) == 1
    kms.untag_resource(KeyId=key_id, TagKeys=["a", "missing"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    fails("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "v"}])


def test_key_policies_and_rotation(kms) -> None:  # noqa: ANN001
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    mine = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*"}]})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=mine)
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == mine
    fails("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, Policy="[]")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
    assert "NextRotationDate" in status
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.disable_key(KeyId=key_id)
    fails("DisabledException", kms.enable_key_rotation, KeyId=key_id)


def test_scheduled_deletion_happens_on_the_test_clock(kms, server: Server) -> None:  # noqa: ANN001
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert "7" in fails(
        "ValidationException", kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=6
    )
    assert "30" in fails(
        "ValidationException", kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=31
    )
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert (scheduled["KeyId"], scheduled["KeyState"], scheduled["PendingWindowInDays"]) == (
        key["Arn"],
        "PendingDeletion",
        7,
    )
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["PendingDeletionWindowInDays"]) == (
        "PendingDeletion",
        False,
        7,
    )
    assert meta["DeletionDate"] == scheduled["DeletionDate"]
    pending = f"{key['Arn']} is pending deletion."
    assert fails("KMSInvalidStateException", kms.encrypt, KeyId="alias/doomed", Plaintext=b"x") == pending
    assert fails("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob) == pending
    assert fails("KMSInvalidStateException", kms.enable_key, KeyId=key["KeyId"]) == pending
    assert fails("KMSInvalidStateException", kms.schedule_key_deletion, KeyId=key["KeyId"]) == pending
    # cancelled: the key is back, disabled
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    message = fails("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key["KeyId"])
    assert message == f"{key['Arn']} is not pending deletion."
    # scheduled again (30 days by default), and the clock passes the date: the key and its alias are gone
    assert kms.schedule_key_deletion(KeyId=key["KeyId"])["PendingWindowInDays"] == 30
    server.advance(29 * DAY)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    server.advance(DAY + 60)
    fails("NotFoundException", kms.describe_key, KeyId=key["KeyId"])
    fails("NotFoundException", kms.describe_key, KeyId="alias/doomed")
    fails("NotFoundException", kms.decrypt, CiphertextBlob=blob)
    assert kms.list_keys()["Keys"] == [] and bound(kms) == []
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
