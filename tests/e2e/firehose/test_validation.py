"""The control plane refuses what a worker could not run: bad Lambda processor parameters, a jq
MetadataExtractionQuery that does not compile (at CreateDeliveryStream and UpdateDestination), and
UpdateDestination runs the destinations' own checks as CreateDeliveryStream does."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import ROLE

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:transform"


@pytest.fixture
def firehose(client: Any) -> Any:
    return client("firehose")


def lambda_processing(**params: str) -> dict[str, Any]:
    given = {"LambdaArn": FUNCTION, **params}
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [{"ParameterName": k, "ParameterValue": v} for k, v in given.items()],
            }
        ],
    }


def partitioned(query: str) -> dict[str, Any]:
    return {
        "RoleARN": ROLE,
        "BucketARN": "arn:aws:s3:::bucket-valid",
        "Prefix": "!{partitionKeyFromQuery:id}/",
        "ErrorOutputPrefix": "errors/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    ],
                }
            ],
        },
    }


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == "InvalidArgumentException"
    return str(caught.value.response["Error"]["Message"])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"LambdaArn": "not-an-arn"}, "LambdaArn"),
        ({"BufferSizeInMBs": "5"}, "BufferSizeInMBs must be between 0.2 and 3"),
        ({"BufferSizeInMBs": "lots"}, "BufferSizeInMBs must be a number"),
        ({"BufferIntervalInSeconds": "901"}, "BufferIntervalInSeconds must be between 0 and 900"),
        ({"NumberOfRetries": "-1"}, "NumberOfRetries must be at least 0"),
        ({"RoleArn": "role"}, "RoleArn"),
    ],
)
def test_bad_lambda_parameters(firehose: Any, params: dict[str, str], words: str) -> None:
    config = {
        "RoleARN": ROLE,
        "BucketARN": "arn:aws:s3:::bucket-valid",
        "ProcessingConfiguration": lambda_processing(**params),
    }
    message = refused(
        firehose.create_delivery_stream,
        DeliveryStreamName="bad-lambda",
        ExtendedS3DestinationConfiguration=config,
    )
    assert words in message
    assert "bad-lambda" not in firehose.list_delivery_streams()["DeliveryStreamNames"]


def test_bad_jq_query(firehose: Any) -> None:
    message = refused(
        firehose.create_delivery_stream,
        DeliveryStreamName="bad-jq",
        ExtendedS3DestinationConfiguration=partitioned("{id: .id"),
    )
    assert "MetadataExtractionQuery" in message
    firehose.create_delivery_stream(
        DeliveryStreamName="good-jq", ExtendedS3DestinationConfiguration=partitioned("{id: .id}")
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName="good-jq")["DeliveryStreamDescription"]
    update = {"ProcessingConfiguration": partitioned("{id: .id | }")["ProcessingConfiguration"]}
    message = refused(
        firehose.update_destination,
        DeliveryStreamName="good-jq",
        CurrentDeliveryStreamVersionId=described["VersionId"],
        DestinationId=described["Destinations"][0]["DestinationId"],
        ExtendedS3DestinationUpdate=update,
    )
    assert "MetadataExtractionQuery" in message
    # nothing changed: the version is the same and the query is the one created
    again = firehose.describe_delivery_stream(DeliveryStreamName="good-jq")["DeliveryStreamDescription"]
    assert again["VersionId"] == described["VersionId"]
    # a Lambda processor's parameters are checked at UpdateDestination too
    message = refused(
        firehose.update_destination,
        DeliveryStreamName="good-jq",
        CurrentDeliveryStreamVersionId=described["VersionId"],
        DestinationId=described["Destinations"][0]["DestinationId"],
        ExtendedS3DestinationUpdate={"ProcessingConfiguration": lambda_processing(BufferSizeInMBs="9")},
    )
    assert "BufferSizeInMBs" in message


def test_update_runs_the_destination_checks(firehose: Any) -> None:
    staging = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::rs-valid"}
    firehose.create_delivery_stream(
        DeliveryStreamName="rs-update",
        RedshiftDestinationConfiguration={
            "RoleARN": ROLE,
            "ClusterJDBCURL": "jdbc:redshift://pg.redshift.localhost:5439/dev",
            "CopyCommand": {"DataTableName": "t", "CopyOptions": "JSON 'auto'"},
            "Username": "u",
            "Password": "secret1",
            "S3Configuration": staging,
        },
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName="rs-update")["DeliveryStreamDescription"]
    message = refused(
        firehose.update_destination,
        DeliveryStreamName="rs-update",
        CurrentDeliveryStreamVersionId=described["VersionId"],
        DestinationId=described["Destinations"][0]["DestinationId"],
        RedshiftDestinationUpdate={"CopyCommand": {"DataTableName": "t", "CopyOptions": "FORMAT AS PARQUET"}},
    )
    assert "PARQUET" in message and "not supported" in message
    again = firehose.describe_delivery_stream(DeliveryStreamName="rs-update")["DeliveryStreamDescription"]
    assert again["VersionId"] == described["VersionId"]
