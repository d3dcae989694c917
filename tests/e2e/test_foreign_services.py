"""A service Headwater does not run answers in the caller's own dialect, naming the service and the
running ones, so boto3 and the AWS CLI show why (never another service's error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

RUNNING = "running services: kms, kinesis, sqs, s3, sts, iam, logs, lambda, glue, firehose, iot, iot-data"


def refused(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return dict(response["Error"])


@pytest.mark.parametrize(
    ("service", "operation", "code", "named"),
    [
        ("dynamodb", "list_tables", "UnknownOperationException", "DynamoDB_20120810.ListTables"),
        ("sns", "list_topics", "InvalidAction", "ListTopics"),  # AWS Query
        ("apigateway", "get_rest_apis", "UnknownOperationException", "GetRestApis"),  # REST-JSON
        (
            "cloudwatch",
            "list_metrics",
            "UnknownOperationException",
            "GraniteServiceVersion20100801.ListMetrics",
        ),
        ("ec2", "describe_instances", "InvalidAction", "DescribeInstances"),  # EC2 Query
        ("route53", "list_hosted_zones", "InvalidAction", "ListHostedZones"),  # REST-XML
        ("rds", "describe_db_instances", "InvalidAction", "DescribeDBInstances"),  # Query, signed for rds
    ],
)
def test_boto3_sees_which_service_is_missing(
    client, service: str, operation: str, code: str, named: str
) -> None:  # noqa: ANN001
    error = refused(getattr(client(service), operation))
    assert error["Code"] == code
    assert error["Message"] == f"Headwater does not implement {service} ({named}); {RUNNING}"


def test_running_services_keep_their_answers(client) -> None:  # noqa: ANN001
    error = refused(client("sqs").get_queue_url, QueueName="nope")
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    error = refused(client("kinesis").describe_stream, StreamName="nope")
    assert error["Code"] == "ResourceNotFoundException"


def test_unsigned_targets_are_named_too(endpoint: str) -> None:
    response = httpx.post(
        endpoint,
        content=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    assert response.json() == {
        "__type": "UnknownOperationException",
        "message": f"Headwater does not implement dynamodb (DynamoDB_20120810.ListTables); {RUNNING}",
    }


def test_aws_cli_shows_the_message(cli) -> None:  # noqa: ANN001
    for service, args, named in (
        ("dynamodb", ("list-tables",), "DynamoDB_20120810.ListTables"),
        ("sns", ("list-topics",), "ListTopics"),
        ("apigateway", ("get-rest-apis",), "GetRestApis"),
    ):
        done = cli(service).run(*args)
        assert done.returncode != 0
        assert f"Headwater does not implement {service} ({named}); {RUNNING}" in done.stderr, done.stderr
