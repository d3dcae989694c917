"""The AWS CLI (v1, from the `awscli` test dependency) driving SQS on a live server, output parsed as
JSON: the queue lifecycle and a message round trip, as a shell script would use them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from tests.e2e.support.cli import Cli
from tests.e2e.support.server import Server

ACCOUNT = "000000000000"


@pytest.fixture
def aws(cli: Callable[..., Cli]) -> Cli:
    return cli("sqs", timeout=60)


def test_cli_queue_and_message_round_trip(aws: Cli, endpoint: str, server: Server) -> None:
    url = aws("create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=60,DelaySeconds=0")[
        "QueueUrl"
    ]
    assert url == f"{endpoint}/{ACCOUNT}/cli-q"
    assert aws("list-queues", "--queue-name-prefix", "cli")["QueueUrls"] == [url]
    sent = aws(
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "hello from the cli",
        "--message-attributes",
        '{"kind": {"DataType": "String", "StringValue": "greeting"}}',
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello from the cli").hexdigest()
    assert sent["MessageId"]
    got = aws(
        "receive-message",
        "--queue-url",
        url,
        "--attribute-names",
        "ApproximateReceiveCount",
        "--message-attribute-names",
        "All",
        "--max-number-of-messages",
        "10",
    )
    (message,) = got["Messages"]
    assert message["Body"] == "hello from the cli"
    assert message["MessageId"] == sent["MessageId"]
    assert message["Attributes"] == {"ApproximateReceiveCount": "1"}
    assert message["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "greeting"}}
    counts = aws(
        "get-queue-attributes",
        "--queue-url",
        url,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "VisibilityTimeout",
    )["Attributes"]
    assert counts == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "VisibilityTimeout": "60",
    }
    assert aws("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"]) is None
    server.advance(61)  # past the visibility timeout: the deleted message stays gone
    # the CLI prints nothing for an empty receive (no `Messages` member)
    assert aws("receive-message", "--queue-url", url) is None

    aws("send-message", "--queue-url", url, "--message-body", "to be purged")
    assert aws("purge-queue", "--queue-url", url) is None
    assert (
        aws("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )
    # service errors: CLI v1 exits 255 (v2: 254) and names the Query-era code
    done = aws.run("purge-queue", "--queue-url", url)
    assert done.returncode == 255
    assert "(AWS.SimpleQueueService.PurgeQueueInProgress)" in done.stderr
    done = aws.run("get-queue-url", "--queue-name", "missing")
    assert done.returncode == 255
    assert "(AWS.SimpleQueueService.NonExistentQueue)" in done.stderr
    assert "The specified queue does not exist." in done.stderr
