"""Customer KMS keys used by Kinesis, SQS and S3, through boto3 against a live server.

A key disabled while in use fails the services' later writes, and their reads of what it sealed,
with each service's AWS error; nothing stored is lost: re-enabling the key makes it all readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.kinesis.test_encryption import read_all
from tests.e2e.support.clients import client_for
from tests.e2e.support.disk import at_rest as running


def error_of(call: Any, **params: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_kinesis_with_a_customer_key(endpoint: str) -> None:
    kms, kinesis = client_for(endpoint, "kms"), client_for(endpoint)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/stream", TargetKeyId=key["KeyId"])
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/stream")
    assert kinesis.put_record(StreamName="s", Data=b"one", PartitionKey="k")["EncryptionType"] == "KMS"
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(kinesis.put_record, StreamName="s", Data=b"two", PartitionKey="k") == (
        "KMSDisabledException",
        400,
        f"{key['Arn']} is disabled.",
    )
    code, _, _ = error_of(kinesis.put_records, StreamName="s", Records=[{"Data": b"x", "PartitionKey": "k"}])
    assert code == "KMSDisabledException"
    assert error_of(read_all, kinesis=kinesis)[0] == "KMSDisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    kinesis.put_record(StreamName="s", Data=b"three", PartitionKey="k")
    assert [r["Data"] for r in read_all(kinesis)] == [b"one", b"three"]
    # a key pending deletion is KMSInvalidStateException, to StartStreamEncryption too
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
    code, _, _ = error_of(kinesis.start_stream_encryption, StreamName="s", EncryptionType="KMS", KeyId=other)
    assert code == "KMSInvalidStateException"
    kms.disable_key(KeyId=key["KeyId"])
    code, _, _ = error_of(
        kinesis.start_stream_encryption, StreamName="s", EncryptionType="KMS", KeyId=key["Arn"]
    )
    assert code == "KMSDisabledException"


def test_sse_sqs_uses_no_key_of_the_account(endpoint: str) -> None:
    """SSE-SQS (every queue's default) seals under an SQS-owned key: the account's KMS shows none,
    as on AWS, where alias/aws/sqs appears only once a queue names it as its KmsMasterKeyId."""
    sqs, kms = client_for(endpoint, "sqs"), client_for(endpoint, "kms")
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["SqsManagedSseEnabled"]
        == "true"
    )
    sqs.send_message(QueueUrl=url, MessageBody="sealed")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["sealed"]
    assert kms.list_keys()["Keys"] == []
    predefined = kms.list_aliases()["Aliases"]  # AWS's predefined aliases, no key behind them yet
    assert "TargetKeyId" not in next(a for a in predefined if a["AliasName"] == "alias/aws/sqs")
    managed = sqs.create_queue(QueueName="managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})[
        "QueueUrl"
    ]
    sqs.send_message(QueueUrl=managed, MessageBody="under alias/aws/sqs")
    [alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/sqs"]
    assert alias["TargetKeyId"] == kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyId"]
    assert len(kms.list_keys()["Keys"]) == 1


def test_sqs_accepts_any_key_and_resolves_it_on_send(endpoint: str) -> None:
    kms, sqs = client_for(endpoint, "kms"), client_for(endpoint, "sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"KmsMasterKeyId": "alias/later"})["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"] == {
        "KmsMasterKeyId": "alias/later"
    }
    code, status, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="early")
    assert (code, status) == ("KMS.NotFoundException", 400)
    assert message.startswith("Alias arn:aws:kms:us-east-1:000000000000:alias/later is not found.")
    assert "Error Code: NotFoundException" in message
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/later", TargetKeyId=key["KeyId"])
    sqs.send_message(QueueUrl=url, MessageBody="first")
    kms.disable_key(KeyId=key["KeyId"])
    code, status, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="second")
    assert (code, status) == ("KMS.DisabledException", 400) and message.startswith(
        f"{key['Arn']} is disabled."
    )
    code, _, _ = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "b"}])
    assert code == "KMS.DisabledException"
    assert error_of(sqs.receive_message, QueueUrl=url)[0] == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    sqs.send_message(QueueUrl=url, MessageBody="third")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert sorted(m["Body"] for m in got) == ["first", "third"]


def test_s3_sse_kms_with_a_customer_key(endpoint: str) -> None:
    kms, s3 = client_for(endpoint, "kms"), client_for(endpoint, "s3", s3={"addressing_style": "path"})
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/bucket", TargetKeyId=key["KeyId"])
    s3.create_bucket(Bucket="kms-bucket")
    put = s3.put_object(
        Bucket="kms-bucket",
        Key="explicit",
        Body=b"one",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="alias/bucket",
    )
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    s3.put_bucket_encryption(
        Bucket="kms-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["KeyId"],
                    }
                }
            ]
        },
    )
    assert s3.put_object(Bucket="kms-bucket", Key="default", Body=b"two")["SSEKMSKeyId"] == key["Arn"]
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(s3.put_object, Bucket="kms-bucket", Key="later", Body=b"three") == (
        "KMS.DisabledException",
        400,
        f"{key['Arn']} is disabled.",
    )
    assert error_of(s3.get_object, Bucket="kms-bucket", Key="explicit")[:2] == ("KMS.DisabledException", 400)
    assert s3.head_object(Bucket="kms-bucket", Key="explicit")["SSEKMSKeyId"] == key["Arn"]  # no key needed
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket="kms-bucket", Key="explicit")["Body"].read() == b"one"
    assert s3.get_object(Bucket="kms-bucket", Key="default")["Body"].read() == b"two"
    code, status, _ = error_of(
        s3.put_object,
        Bucket="kms-bucket",
        Key="x",
        Body=b"x",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId="alias/none",
    )
    assert (code, status) == ("KMS.NotFoundException", 400)


def test_a_disabled_key_survives_a_restart_without_losing_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running(data_dir) as server:
        kms, sqs, kinesis = (client_for(server.endpoint, name) for name in ("kms", "sqs", "kinesis"))
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        url = sqs.create_queue(QueueName="q", Attributes={"KmsMasterKeyId": key_id})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="kept")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId=key_id)
        kinesis.put_record(StreamName="s", Data=b"kept", PartitionKey="k")
        kms.disable_key(KeyId=key_id)
    with running(data_dir) as server:
        kms, sqs, kinesis = (client_for(server.endpoint, name) for name in ("kms", "sqs", "kinesis"))
        url = f"{server.endpoint}/000000000000/q"
        assert error_of(sqs.receive_message, QueueUrl=url)[0] == "KMS.DisabledException"
        assert error_of(read_all, kinesis=kinesis)[0] == "KMSDisabledException"
        kms.enable_key(KeyId=key_id)
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["kept"]
        assert [r["Data"] for r in read_all(kinesis)] == [b"kept"]
        assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["KeyId"] == key_id
