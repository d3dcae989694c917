"""The Firehose control plane through boto3: create/describe/list/update/delete, tags, encryption
and AWS's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import ROLE, s3_stream


@pytest.fixture
def firehose(client: Any) -> Any:
    return client("firehose")


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_describe_defaults(firehose: Any) -> None:
    arn = s3_stream(firehose, "orders", "some-bucket", CompressionFormat="GZIP", Prefix="raw/")
    assert arn == "arn:aws:firehose:us-east-1:000000000000:deliverystream/orders"
    description = firehose.describe_delivery_stream(DeliveryStreamName="orders")["DeliveryStreamDescription"]
    assert description["DeliveryStreamStatus"] == "ACTIVE"
    assert description["DeliveryStreamType"] == "DirectPut"
    assert description["VersionId"] == "1"
    assert description["HasMoreDestinations"] is False
    assert description["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    (destination,) = description["Destinations"]
    assert destination["DestinationId"] == "destinationId-000000000001"
    basic = destination["S3DestinationDescription"]
    assert basic == {
        "RoleARN": ROLE,
        "BucketARN": "arn:aws:s3:::some-bucket",
        "Prefix": "raw/",
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
        "CompressionFormat": "GZIP",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": False},
    }
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["S3BackupMode"] == "Disabled"
    assert {k: v for k, v in extended.items() if k in basic} == basic


def test_buffering_defaults_fill_the_missing_hint(firehose: Any) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName="s",
        S3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::b-1",
            "BufferingHints": {"IntervalInSeconds": 60},
        },
    )
    description = firehose.describe_delivery_stream(DeliveryStreamName="s")["DeliveryStreamDescription"]
    hints = description["Destinations"][0]["S3DestinationDescription"]["BufferingHints"]
    assert hints == {"SizeInMBs": 5, "IntervalInSeconds": 60}


def test_create_errors(firehose: Any) -> None:
    s3_stream(firehose, "dup", "bucket-a")
    assert error_of(
        firehose.create_delivery_stream,
        DeliveryStreamName="dup",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bucket-a"},
    ) == ("ResourceInUseException", "Firehose dup under accountId 000000000000 already exists")
    code, _ = error_of(firehose.create_delivery_stream, DeliveryStreamName="none")
    assert code == "InvalidArgumentException"
    code, message = error_of(
        firehose.create_delivery_stream,
        DeliveryStreamName="bad name!",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bucket-a"},
    )
    assert code == "ValidationException" and "deliveryStreamName" in message
    code, message = error_of(
        firehose.create_delivery_stream,
        DeliveryStreamName="big",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::bucket-a",
            "BufferingHints": {"SizeInMBs": 129, "IntervalInSeconds": 60},
        },
    )
    assert code == "ValidationException" and "less than or equal to 128" in message
    code, _ = error_of(
        firehose.create_delivery_stream,
        DeliveryStreamName="partitioned",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::bucket-a",
            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60},
            "DynamicPartitioningConfiguration": {"Enabled": True},
        },
    )
    assert code == "InvalidArgumentException"


def test_not_found_everywhere(firehose: Any) -> None:
    message = "Firehose ghost under account 000000000000 not found."
    for call, extra in (
        (firehose.describe_delivery_stream, {}),
        (firehose.delete_delivery_stream, {}),
        (firehose.put_record, {"Record": {"Data": b"x"}}),
        (firehose.put_record_batch, {"Records": [{"Data": b"x"}]}),
        (firehose.list_tags_for_delivery_stream, {}),
        (firehose.tag_delivery_stream, {"Tags": [{"Key": "k", "Value": "v"}]}),
    ):
        assert error_of(call, DeliveryStreamName="ghost", **extra) == ("ResourceNotFoundException", message)


def test_list_paginates_and_filters(firehose: Any) -> None:
    for name in ("c", "a", "b"):
        s3_stream(firehose, name, "bucket-l")
    first = firehose.list_delivery_streams(Limit=2)
    assert first["DeliveryStreamNames"] == ["a", "b"] and first["HasMoreDeliveryStreams"] is True
    rest = firehose.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName="b")
    assert rest["DeliveryStreamNames"] == ["c"] and rest["HasMoreDeliveryStreams"] is False
    assert (
        firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")["DeliveryStreamNames"]
        == []
    )
    firehose.delete_delivery_stream(DeliveryStreamName="b")
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == ["a", "c"]


def test_update_destination_versions(firehose: Any) -> None:
    s3_stream(firehose, "u", "bucket-u")
    firehose.update_destination(
        DeliveryStreamName="u",
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "new/", "BufferingHints": {"IntervalInSeconds": 60}},
    )
    description = firehose.describe_delivery_stream(DeliveryStreamName="u")["DeliveryStreamDescription"]
    assert description["VersionId"] == "2"
    assert "LastUpdateTimestamp" in description
    extended = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["Prefix"] == "new/"
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 60}
    code, _ = error_of(
        firehose.update_destination,
        DeliveryStreamName="u",
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "x/"},
    )
    assert code == "ConcurrentModificationException"
    code, _ = error_of(
        firehose.update_destination,
        DeliveryStreamName="u",
        CurrentDeliveryStreamVersionId="2",
        DestinationId="destinationId-000000000009",
        ExtendedS3DestinationUpdate={"Prefix": "x/"},
    )
    assert code == "InvalidArgumentException"


def test_tags(firehose: Any) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName="t",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bucket-t"},
        Tags=[{"Key": "a", "Value": "1"}],
    )
    firehose.tag_delivery_stream(DeliveryStreamName="t", Tags=[{"Key": "b", "Value": "2"}, {"Key": "c"}])
    page = firehose.list_tags_for_delivery_stream(DeliveryStreamName="t", Limit=2)
    assert page["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}] and page["HasMoreTags"]
    firehose.untag_delivery_stream(DeliveryStreamName="t", TagKeys=["a"])
    page = firehose.list_tags_for_delivery_stream(DeliveryStreamName="t")
    assert page["Tags"] == [{"Key": "b", "Value": "2"}, {"Key": "c", "Value": ""}] and not page["HasMoreTags"]
    code, _ = error_of(
        firehose.tag_delivery_stream,
        DeliveryStreamName="t",
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)],
    )
    assert code == "LimitExceededException"


def test_encryption(firehose: Any, client: Any) -> None:
    s3_stream(firehose, "e", "bucket-e")
    assert firehose.put_record(DeliveryStreamName="e", Record={"Data": b"x"})["Encrypted"] is False
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName="e", DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"}
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName="e")["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {
        "KeyType": "AWS_OWNED_CMK",
        "Status": "ENABLED",
    }
    assert firehose.put_record(DeliveryStreamName="e", Record={"Data": b"x"})["Encrypted"] is True
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName="e",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key},
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName="e")["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"]["KeyARN"] == key
    code, _ = error_of(
        firehose.start_delivery_stream_encryption,
        DeliveryStreamName="e",
        DeliveryStreamEncryptionConfigurationInput={
            "KeyType": "CUSTOMER_MANAGED_CMK",
            "KeyARN": key.replace(key[-12:], "000000000000"),
        },
    )
    assert code == "InvalidKMSResourceException"
    firehose.stop_delivery_stream_encryption(DeliveryStreamName="e")
    described = firehose.describe_delivery_stream(DeliveryStreamName="e")["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
