"""AWS-managed policies (``arn:aws:iam::aws:policy/...``): a short list of the ones functions use,
with the documents AWS publishes for them (its managed-policy reference), their paths and default
versions. Any other AWS-managed ARN may still be attached to a role (tools attach many; Headwater
evaluates none), but only these can be read with GetPolicy/GetPolicyVersion or listed."""

from __future__ import annotations

import json
from dataclasses import dataclass

_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True, slots=True)
class Managed:
    name: str
    path: str
    version: str
    created: float  # epoch seconds
    updated: float
    description: str
    actions: tuple[str, ...]

    @property
    def arn(self) -> str:
        return f"{PREFIX}{self.path[1:]}{self.name}"

    @property
    def policy_id(self) -> str:
        return "ANPA" + "".join(c for c in self.name.upper() if c.isalnum())[:17].ljust(17, "A")

    @property
    def document(self) -> str:
        action: str | list[str] = "*" if self.actions == ("*",) else list(self.actions)
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


MANAGED = {
    policy.arn: policy
    for policy in (
        Managed(
            "AWSLambdaBasicExecutionRole",
            "/service-role/",
            "v1",
            1428591780.0,
            1428591780.0,
            "Provides write permissions to CloudWatch Logs.",
            tuple(_LOGS),
        ),
        Managed(
            "AWSLambdaKinesisExecutionRole",
            "/service-role/",
            "v2",
            1428592440.0,
            1542658140.0,
            "Provides list and read access to Kinesis streams and write permissions to CloudWatch logs.",
            (
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
                "kinesis:ListStreams",
                "kinesis:SubscribeToShard",
                *_LOGS,
            ),
        ),
        Managed(
            "AWSLambdaSQSQueueExecutionRole",
            "/service-role/",
            "v2",
            1480373580.0,
            1480373580.0,
            "Provides receive message, delete message, and read attribute access to SQS queues, and write "
            "permissions to CloudWatch logs.",
            ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS),
        ),
        Managed(
            "AmazonS3ReadOnlyAccess",
            "/",
            "v3",
            1423248000.0,
            1691703060.0,
            "Provides read only access to all buckets via the AWS Management Console.",
            ("s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"),
        ),
        Managed(
            "AdministratorAccess",
            "/",
            "v1",
            1423248000.0,
            1423248000.0,
            "Provides full access to AWS services and resources.",
            ("*",),
        ),
    )
}
