"""SQS queue management end to end over boto3 (AWS JSON 1.0): create, find, list, delete, attributes,
purge, tags, permissions, and the account, region and host a request selects.

boto3 reads `x-amzn-query-error` for awsQueryCompatible services, so `Error.Code` is the Query-era code
(`AWS.SimpleQueueService.NonExistentQueue`) and `Error.QueryErrorCode` the JSON shape name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server

ACCOUNT = "000000000000"
NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"

STANDARD_ALL = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ApproximateNumberOfMessages": "0",
    "ApproximateNumberOfMessagesNotVisible": "0",
    "ApproximateNumberOfMessagesDelayed": "0",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_ALL = {
    **STANDARD_ALL,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def fails(code: str, call: Callable[..., Any], /, status: int = 400, **params: Any) -> dict[str, Any]:
    """Calls `call(**params)`, expects a ClientError with Query code `code` and HTTP `status`."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    assert response["Error"]["Code"] == code, response["Error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    return response["Error"]


def attributes(sqs, url: str, *names: str) -> dict[str, str]:  # noqa: ANN001
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"]).get("Attributes", {})


# -- CreateQueue ---------------------------------------------------------------------------------


def test_create_queue_is_idempotent_on_equal_attributes(sqs, endpoint: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "40", "DelaySeconds": "5"})[
        "QueueUrl"
    ]
    assert url == f"{endpoint}/{ACCOUNT}/q"
    # the same attributes (in another spelling of the same number), a subset, or none: the same queue
    assert (
        sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5", "VisibilityTimeout": "040"})[
            "QueueUrl"
        ]
        == url
    )
    assert sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "40"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName="q")["QueueUrl"] == url
    error = fails(
        "QueueAlreadyExists", sqs.create_queue, QueueName="q", Attributes={"VisibilityTimeout": "41"}
    )
    assert error["QueryErrorCode"] == "QueueNameExists"
    assert error["Message"] == (
        "A queue already exists with the same name and a different value for attribute VisibilityTimeout"
    )
    # a default value given explicitly differs from nothing only if it differs from the queue's value
    assert sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "345600"})["QueueUrl"] == url
    fails("QueueAlreadyExists", sqs.create_queue, QueueName="q", Attributes={"MessageRetentionPeriod": "60"})
    assert sqs.list_queues()["QueueUrls"] == [url]


def test_create_queue_after_set_queue_attributes(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "7"})
    assert sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "7"})["QueueUrl"] == url
    fails("QueueAlreadyExists", sqs.create_queue, QueueName="q", Attributes={"DelaySeconds": "0"})


def test_queue_names_are_case_sensitive(sqs) -> None:  # noqa: ANN001
    lower = sqs.create_queue(QueueName="name")["QueueUrl"]
    upper = sqs.create_queue(QueueName="NAME")["QueueUrl"]
    assert lower != upper
    assert sorted(sqs.list_queues()["QueueUrls"]) == sorted([lower, upper])


@pytest.mark.parametrize(
    ("name", "fifo"),
    [
        ("a" * 80, False),
        ("A-z_0-9", False),
        ("a" * 75 + ".fifo", True),
        ("x.fifo", True),
    ],
)
def test_valid_queue_names(sqs, name: str, fifo: bool) -> None:  # noqa: ANN001
    extra = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=extra)["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT}/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


@pytest.mark.parametrize(
    ("name", "fifo"),
    [
        ("a" * 81, False),
        ("has space", False),
        ("has.dot", False),
        ("slash/name", False),
        ("emoji\u00e9", False),
        ("plain.fifo", False),  # a .fifo name needs FifoQueue=true
        ("nosuffix", True),  # and a FIFO queue needs the suffix
        ("a" * 76 + ".fifo", True),  # the suffix counts towards the 80
        ("bad!.fifo", True),
    ],
)
def test_invalid_queue_names(sqs, name: str, fifo: bool) -> None:  # noqa: ANN001
    extra = {"FifoQueue": "true"} if fifo else {}
    error = fails("InvalidParameterValue", sqs.create_queue, QueueName=name, Attributes=extra)
    assert "1 to 80 in length" in error["Message"]
    assert "QueueUrls" not in sqs.list_queues()


# -- GetQueueUrl -----------------------------------------------------------------------------------


def test_get_queue_url(sqs, endpoint: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="found")["QueueUrl"]
    assert sqs.get_queue_url(QueueName="found")["QueueUrl"] == url
    error = fails(NON_EXISTENT, sqs.get_queue_url, QueueName="missing")
    assert error["QueryErrorCode"] == "QueueDoesNotExist"
    assert error["Message"] == "The specified queue does not exist."
    # another account's queue, named by its owner
    other = client_for(endpoint, "sqs", access_key="111111111111")
    theirs = other.create_queue(QueueName="theirs")["QueueUrl"]
    assert theirs == f"{endpoint}/111111111111/theirs"
    fails(NON_EXISTENT, sqs.get_queue_url, QueueName="theirs")
    assert sqs.get_queue_url(QueueName="theirs", QueueOwnerAWSAccountId="111111111111")["QueueUrl"] == theirs
    assert other.get_queue_url(QueueName="found", QueueOwnerAWSAccountId=ACCOUNT)["QueueUrl"] == url


# -- ListQueues ------------------------------------------------------------------------------------


def test_list_queues_prefix_and_pagination(sqs, endpoint: str) -> None:  # noqa: ANN001
    assert "QueueUrls" not in sqs.list_queues()
    names = ["alpha-1", "alpha-2", "alpha-3", "beta-1", "beta-2"]
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in names}
    everything = sqs.list_queues()
    assert sorted(everything["QueueUrls"]) == sorted(urls.values())
    assert "NextToken" not in everything
    assert sorted(sqs.list_queues(QueueNamePrefix="alpha")["QueueUrls"]) == [
        urls[f"alpha-{i}"] for i in (1, 2, 3)
    ]
    assert sqs.list_queues(QueueNamePrefix="beta-2")["QueueUrls"] == [urls["beta-2"]]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="gamma")
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="Alpha")  # prefixes are case-sensitive

    def pages(**params: Any) -> list[list[str]]:
        collected: list[list[str]] = []
        while True:
            page = sqs.list_queues(**params)
            collected.append(page.get("QueueUrls", []))
            if "NextToken" not in page:
                return collected
            params["NextToken"] = page["NextToken"]
            assert len(collected) < 10

    paged = pages(MaxResults=2)
    assert [len(p) for p in paged] == [2, 2, 1]
    assert sorted(url for page in paged for url in page) == sorted(urls.values())
    assert [len(p) for p in pages(MaxResults=5)] == [5]  # an exact fit has no NextToken
    assert [len(p) for p in pages(MaxResults=1000)] == [5]
    alpha = pages(MaxResults=2, QueueNamePrefix="alpha")
    assert [len(p) for p in alpha] == [2, 1]
    assert sorted(url for page in alpha for url in page) == [urls[f"alpha-{i}"] for i in (1, 2, 3)]
    # boto3's paginator follows the same tokens
    paginated = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 3})
    assert sorted(url for page in paginated for url in page.get("QueueUrls", [])) == sorted(urls.values())
    for bad in (0, 1001):
        fails("InvalidParameterValue", sqs.list_queues, MaxResults=bad)


def test_list_queues_is_per_account_and_region(sqs, endpoint: str) -> None:  # noqa: ANN001
    mine = sqs.create_queue(QueueName="shared-name")["QueueUrl"]
    other_account = client_for(endpoint, "sqs", access_key="222222222222")
    other_region = client_for(endpoint, "sqs", region="eu-west-1")
    theirs = other_account.create_queue(QueueName="shared-name")["QueueUrl"]
    european = other_region.create_queue(QueueName="eu-only")["QueueUrl"]
    assert theirs == f"{endpoint}/222222222222/shared-name" != mine
    assert sqs.list_queues()["QueueUrls"] == [mine]
    assert other_account.list_queues()["QueueUrls"] == [theirs]
    assert other_region.list_queues()["QueueUrls"] == [european]
    fails(NON_EXISTENT, sqs.get_queue_url, QueueName="eu-only")


# -- DeleteQueue -----------------------------------------------------------------------------------


def test_delete_queue_and_the_60_second_name_hold(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="gone", Attributes={"DelaySeconds": "3"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    other = sqs.create_queue(QueueName="stays")["QueueUrl"]
    assert sqs.delete_queue(QueueUrl=url)["ResponseMetadata"]["HTTPStatusCode"] == 200
    fails(NON_EXISTENT, sqs.get_queue_url, QueueName="gone")
    fails(NON_EXISTENT, sqs.send_message, QueueUrl=url, MessageBody="x")
    fails(NON_EXISTENT, sqs.receive_message, QueueUrl=url)
    fails(NON_EXISTENT, sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    fails(NON_EXISTENT, sqs.delete_queue, QueueUrl=url)
    assert sqs.list_queues()["QueueUrls"] == [other]
    error = fails("AWS.SimpleQueueService.QueueDeletedRecently", sqs.create_queue, QueueName="gone")
    assert error["QueryErrorCode"] == "QueueDeletedRecently"
    assert error["Message"] == (
        "You must wait 60 seconds after deleting a queue before you can create another with the same name."
    )
    server.advance(55)
    fails("AWS.SimpleQueueService.QueueDeletedRecently", sqs.create_queue, QueueName="gone")
    server.advance(6)
    again = sqs.create_queue(QueueName="gone")["QueueUrl"]
    assert again == url
    # a new queue: default attributes, nothing of the old one's messages
    assert attributes(sqs, again, "DelaySeconds") == {"DelaySeconds": "0"}
    server.advance(10)
    assert "Messages" not in sqs.receive_message(QueueUrl=again, MaxNumberOfMessages=10)


# -- Get/SetQueueAttributes ------------------------------------------------------------------------


def test_get_all_attributes_of_a_standard_queue(sqs, server: Server, endpoint: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="std")["QueueUrl"]
    now = int(float(server.admin("GET", "clock")["now"]))
    got = attributes(sqs, url)
    assert got.keys() == {*STANDARD_ALL, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}
    assert {k: got[k] for k in STANDARD_ALL} == STANDARD_ALL
    assert got["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:std"
    assert abs(int(got["CreatedTimestamp"]) - now) <= 2  # epoch seconds
    assert got["LastModifiedTimestamp"] == got["CreatedTimestamp"]
    # no names, no attributes; an unknown name is refused
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[])
    error = fails("InvalidAttributeName", sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Nope"])
    assert error["Message"] == "Unknown Attribute Nope."
    # FIFO-only names are silently left out for a standard queue; unset ones are not returned
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["FifoQueue", "ContentBasedDeduplication", "Policy", "RedrivePolicy"]
    )


def test_get_all_attributes_of_a_fifo_queue(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    got = attributes(sqs, url)
    assert got.keys() == {*FIFO_ALL, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}
    assert {k: got[k] for k in FIFO_ALL} == FIFO_ALL
    assert got["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:f.fifo"


@pytest.mark.parametrize("name", [*FIFO_ALL, "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"])
def test_get_each_attribute_alone(sqs, name: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="one.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    everything = attributes(sqs, url)
    assert attributes(sqs, url, name) == {name: everything[name]}
    assert attributes(sqs, url, name, name) == {name: everything[name]}


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        ("VisibilityTimeout", "0", "0"),
        ("VisibilityTimeout", "43200", "43200"),
        ("MaximumMessageSize", "1024", "1024"),
        ("MaximumMessageSize", "1048576", "1048576"),
        ("MessageRetentionPeriod", "60", "60"),
        ("MessageRetentionPeriod", "1209600", "1209600"),
        ("DelaySeconds", "900", "900"),
        ("DelaySeconds", "0", "0"),
        ("ReceiveMessageWaitTimeSeconds", "20", "20"),
        ("ReceiveMessageWaitTimeSeconds", "07", "7"),
        ("SqsManagedSseEnabled", "false", "false"),
    ],
)
def test_set_attribute_within_range(sqs, server: Server, name: str, value: str, stored: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="r")["QueueUrl"]
    created = attributes(sqs, url, "LastModifiedTimestamp")["LastModifiedTimestamp"]
    server.advance(10)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    got = attributes(sqs, url)
    assert got[name] == stored
    assert int(got["LastModifiedTimestamp"]) >= int(created) + 10
    assert got["CreatedTimestamp"] == created
    # the same value on create
    other = sqs.create_queue(QueueName="r2", Attributes={name: value})["QueueUrl"]
    assert attributes(sqs, other, name) == {name: stored}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "-1"),
        ("VisibilityTimeout", "ten"),
        ("VisibilityTimeout", "1.5"),
        ("VisibilityTimeout", ""),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("DelaySeconds", "901"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("KmsDataKeyReusePeriodSeconds", "59"),
        ("KmsDataKeyReusePeriodSeconds", "86401"),
        ("SqsManagedSseEnabled", "yes"),
    ],
)
def test_attribute_out_of_range(sqs, name: str, value: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="r")["QueueUrl"]
    error = fails("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=url, Attributes={name: value})
    assert error["Message"] == f"Invalid value for the parameter {name}."
    assert attributes(sqs, url, name).get(name) == STANDARD_ALL.get(name)  # unchanged
    fails("InvalidAttributeValue", sqs.create_queue, QueueName="r3", Attributes={name: value})
    fails(NON_EXISTENT, sqs.get_queue_url, QueueName="r3")


@pytest.mark.parametrize(
    "name",
    [
        "QueueArn",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "NoSuchAttribute",
    ],
)
def test_read_only_and_unknown_attributes_are_refused(sqs, name: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="ro")["QueueUrl"]
    error = fails("InvalidAttributeName", sqs.set_queue_attributes, QueueUrl=url, Attributes={name: "1"})
    assert error["Message"] == f"Unknown Attribute {name}."
    fails("InvalidAttributeName", sqs.create_queue, QueueName="ro2", Attributes={name: "1"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FifoQueue", "true"),
        ("ContentBasedDeduplication", "true"),
        ("DeduplicationScope", "messageGroup"),
        ("FifoThroughputLimit", "perMessageGroupId"),
    ],
)
def test_fifo_only_attributes_on_a_standard_queue(sqs, name: str, value: str) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="std")["QueueUrl"]
    fails("InvalidAttributeName", sqs.set_queue_attributes, QueueUrl=url, Attributes={name: value})
    assert name not in attributes(sqs, url)


def test_fifo_attribute_rules(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    error = fails(
        "InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": "false"}
    )
    assert (
        error["Message"]
        == "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    )
    fails(
        "InvalidAttributeValue",
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"FifoThroughputLimit": "perMessageGroupId"},  # needs DeduplicationScope=messageGroup
    )
    fails(
        "InvalidAttributeValue",
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"DeduplicationScope": "x"},
    )
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "ContentBasedDeduplication": "TRUE",
        },
    )
    got = attributes(sqs, url, "DeduplicationScope", "FifoThroughputLimit", "ContentBasedDeduplication")
    assert got == {
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
        "ContentBasedDeduplication": "true",
    }
    high = sqs.create_queue(
        QueueName="high.fifo",
        Attributes={
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )["QueueUrl"]
    assert attributes(sqs, high, "FifoThroughputLimit") == {"FifoThroughputLimit": "perMessageGroupId"}


def test_sse_attributes(sqs) -> None:  # noqa: ANN001
    error = fails(
        "InvalidAttributeName",
        sqs.create_queue,
        QueueName="both",
        Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"},
    )
    assert "one type of server-side encryption" in error["Message"]
    url = sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    got = attributes(sqs, url)
    assert got["KmsMasterKeyId"] == "alias/aws/sqs"
    assert got["KmsDataKeyReusePeriodSeconds"] == "300"
    assert got["SqsManagedSseEnabled"] == "false"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsDataKeyReusePeriodSeconds": "86400"})
    assert attributes(sqs, url, "KmsDataKeyReusePeriodSeconds") == {"KmsDataKeyReusePeriodSeconds": "86400"}
    fails(
        "InvalidAttributeName",
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"},
    )
    # messages round-trip through the KMS-encrypted queue
    sqs.send_message(QueueUrl=url, MessageBody="secret \u00e9")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["secret \u00e9"]
    # a default (SSE-SQS) queue switched to KMS is no longer SSE-SQS
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    assert attributes(sqs, plain, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": "true"}
    sqs.set_queue_attributes(QueueUrl=plain, Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    got = attributes(sqs, plain, "SqsManagedSseEnabled", "KmsMasterKeyId")
    assert got == {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/aws/sqs"}


def test_policy_and_redrive_attributes(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="src")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = attributes(sqs, dlq, "QueueArn")["QueueArn"]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
            ],
        }
    )
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "Policy": policy,
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
        },
    )
    got = attributes(sqs, url, "Policy", "RedrivePolicy")
    assert json.loads(got["Policy"]) == json.loads(policy)
    assert json.loads(got["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    for bad in (json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1001}), "not json"):
        fails(
            "InvalidParameterValue", sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": bad}
        )
    fails("InvalidAttributeValue", sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": "{"})
    # an empty string removes
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "", "RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["Policy", "RedrivePolicy"]
    )


def test_approximate_counters(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"visible {i}")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=100)
    counts = attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    assert counts == {
        "ApproximateNumberOfMessages": "2",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    server.advance(61)
    counts = attributes(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed")
    assert counts == {"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesDelayed": "0"}


# -- PurgeQueue ------------------------------------------------------------------------------------


def test_purge_clears_visible_in_flight_and_delayed_messages(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="purged")["QueueUrl"]
    keep = sqs.create_queue(QueueName="untouched")["QueueUrl"]
    sqs.send_message(QueueUrl=keep, MessageBody="kept")
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=120)
    in_flight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=30)["Messages"]
    assert len(in_flight) == 2
    sqs.purge_queue(QueueUrl=url)
    counts = attributes(sqs, url)
    assert [
        counts[f"ApproximateNumberOf{k}"] for k in ("Messages", "MessagesNotVisible", "MessagesDelayed")
    ] == [
        "0",
        "0",
        "0",
    ]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    server.advance(121)  # past the visibility timeout and the delay: nothing comes back
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=keep)["Messages"]] == ["kept"]
    # the queue works on after the purge
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["after"]


def test_one_purge_per_60_seconds(sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="twice")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    error = fails("AWS.SimpleQueueService.PurgeQueueInProgress", sqs.purge_queue, status=403, QueueUrl=url)
    assert error["QueryErrorCode"] == "PurgeQueueInProgress"
    assert error["Message"] == "Only one PurgeQueue operation on twice is allowed every 60 seconds."
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    sqs.purge_queue(QueueUrl=other)  # per queue
    server.advance(30)
    fails("AWS.SimpleQueueService.PurgeQueueInProgress", sqs.purge_queue, status=403, QueueUrl=url)
    server.advance(31)
    sqs.purge_queue(QueueUrl=url)
    fails(NON_EXISTENT, sqs.purge_queue, QueueUrl=url.replace("twice", "nope"))


def test_purge_clears_the_fifo_deduplication_cache(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="p.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d")
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="d")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["b"]


# -- tags ------------------------------------------------------------------------------------------


def test_tags(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="tagged", tags={"env": "test", "Team": "a"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test", "Team": "a"}
    sqs.tag_queue(QueueUrl=url, Tags={"team": "b", "env": "prod"})  # keys are case-sensitive
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "Team": "a", "team": "b"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["Team", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod", "team": "b"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env", "team"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    # tags are not attributes: creating again with other tags still returns the queue
    assert sqs.create_queue(QueueName="tagged", tags={"x": "y"})["QueueUrl"] == url
    fails("InvalidParameterValue", sqs.tag_queue, QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    fails("InvalidParameterValue", sqs.tag_queue, QueueUrl=url, Tags={"k" * 129: "v"})
    fails(NON_EXISTENT, sqs.list_queue_tags, QueueUrl=url + "-nope")


# -- permissions -----------------------------------------------------------------------------------


def test_add_and_remove_permission(sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    arn = attributes(sqs, url, "QueueArn")["QueueArn"]
    sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    policy = json.loads(attributes(sqs, url, "Policy")["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert policy["Statement"] == [
        {
            "Sid": "send",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "SQS:SendMessage",
            "Resource": arn,
        }
    ]
    sqs.add_permission(
        QueueUrl=url,
        Label="consume",
        AWSAccountIds=["111111111111", "222222222222"],
        Actions=["ReceiveMessage", "DeleteMessage"],
    )
    statements = {s["Sid"]: s for s in json.loads(attributes(sqs, url, "Policy")["Policy"])["Statement"]}
    assert statements.keys() == {"send", "consume"}
    assert sorted(statements["consume"]["Principal"]["AWS"]) == [
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
    ]
    assert sorted(statements["consume"]["Action"]) == ["SQS:DeleteMessage", "SQS:ReceiveMessage"]
    fails(
        "InvalidParameterValue",
        sqs.add_permission,
        QueueUrl=url,
        Label="send",
        AWSAccountIds=["1" * 12],
        Actions=["*"],
    )
    fails(
        "OverLimit",
        sqs.add_permission,
        status=403,
        QueueUrl=url,
        Label="many",
        AWSAccountIds=["111111111111"],
        Actions=["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                 "GetQueueAttributes", "GetQueueUrl", "PurgeQueue", "ListQueueTags"],
    )  # fmt: skip
    sqs.remove_permission(QueueUrl=url, Label="send")
    statements = json.loads(attributes(sqs, url, "Policy")["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["consume"]
    fails("InvalidParameterValue", sqs.remove_permission, QueueUrl=url, Label="send")
    sqs.remove_permission(QueueUrl=url, Label="consume")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])


# -- hosts, regions and accounts -------------------------------------------------------------------


def test_queue_urls_echo_the_request_host(sqs, server: Server) -> None:  # noqa: ANN001
    by_name = client_for(f"http://localhost:{server.port}", "sqs")
    url = by_name.create_queue(QueueName="hosted")["QueueUrl"]
    assert url == f"http://localhost:{server.port}/{ACCOUNT}/hosted"
    assert (
        sqs.get_queue_url(QueueName="hosted")["QueueUrl"]
        == f"http://127.0.0.1:{server.port}/{ACCOUNT}/hosted"
    )
    assert by_name.list_queues()["QueueUrls"] == [url]
    # a URL naming any host finds the queue by its path
    foreign = f"http://sqs.us-east-1.amazonaws.com/{ACCOUNT}/hosted"
    sqs.send_message(QueueUrl=foreign, MessageBody="via foreign host")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["via foreign host"]


def test_region_comes_from_the_signature_scope(endpoint: str) -> None:
    eu = client_for(endpoint, "sqs", region="eu-west-1")
    url = eu.create_queue(QueueName="regional")["QueueUrl"]
    assert attributes(eu, url, "QueueArn") == {"QueueArn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:regional"}
    us = client_for(endpoint, "sqs", region="us-east-1")
    fails(NON_EXISTENT, us.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn"])
    # the same name in another region is another queue
    us_url = us.create_queue(QueueName="regional", Attributes={"DelaySeconds": "9"})["QueueUrl"]
    assert attributes(us, us_url, "QueueArn") == {"QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:regional"}
    assert attributes(eu, url, "DelaySeconds") == {"DelaySeconds": "0"}


def test_a_12_digit_access_key_id_selects_the_account(endpoint: str) -> None:
    account = client_for(endpoint, "sqs", access_key="123456789012")
    url = account.create_queue(QueueName="owned")["QueueUrl"]
    assert url == f"{endpoint}/123456789012/owned"
    assert attributes(account, url, "QueueArn") == {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:owned"}
    default = client_for(endpoint, "sqs")
    assert "QueueUrls" not in default.list_queues()
    fails(NON_EXISTENT, default.get_queue_url, QueueName="owned")
    # a non-numeric key is the default account
    assert (
        client_for(endpoint, "sqs", access_key="AKIAEXAMPLE").create_queue(QueueName="d")["QueueUrl"]
        == f"{endpoint}/{ACCOUNT}/d"
    )
