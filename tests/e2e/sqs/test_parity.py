"""SQS where Headwater once differed from AWS (issue 10): each case as a boto3 (JSON 1.0) user sees
it, and over the Query protocol where the wire shape differs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.server import Server
from tests.e2e.support.sqs import NS, ok, query

ACCOUNT = "000000000000"
NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


def error_of(call: Any, **kwargs: Any) -> tuple[int, str, str, str]:
    """(HTTP status, query code, JSON shape name, message) of the error a call raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    error = response["Error"]
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, error["Code"], error.get("QueryErrorCode", ""), error.get("Message", "")


def query_error(response: httpx.Response) -> tuple[int, str, str]:
    root = ET.fromstring(response.content)
    code = root.findtext("q:Error/q:Code", namespaces=NS) or ""
    return response.status_code, code, root.findtext("q:Error/q:Message", namespaces=NS) or ""


def fifo(sqs: Any, name: str, **attributes: str) -> str:
    return sqs.create_queue(QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true", **attributes})[
        "QueueUrl"
    ]


def visible(sqs: Any, url: str) -> int:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(got["Attributes"]["ApproximateNumberOfMessages"])


def test_fifo_accepts_an_explicit_zero_delay(sqs: Any) -> None:
    url = fifo(sqs, "zero")
    sqs.send_message(
        QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="1", DelaySeconds=0
    )
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": "b",
                "MessageBody": "b",
                "MessageGroupId": "g",
                "MessageDeduplicationId": "2",
                "DelaySeconds": 0,
            }
        ],
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["b"]
    assert visible(sqs, url) == 2
    # a non-zero per-message delay is still refused on a FIFO queue
    status, code, _, message = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="c",
        MessageGroupId="g",
        MessageDeduplicationId="3",
        DelaySeconds=5,
    )
    assert (status, code) == (400, "InvalidParameterValue")
    assert message.endswith("The request include parameter that is not valid for this queue type.")


def test_fifo_batch_without_group_or_dedup_fails_whole(sqs: Any) -> None:
    url = fifo(sqs, "whole")
    good = {"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "1"}
    no_group = {"Id": "nogroup", "MessageBody": "b", "MessageDeduplicationId": "2"}
    assert error_of(sqs.send_message_batch, QueueUrl=url, Entries=[good, no_group]) == (
        400,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "The request must contain the parameter MessageGroupId.",
    )
    no_dedup = {"Id": "nodedup", "MessageBody": "c", "MessageGroupId": "g"}
    status, code, _, message = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[good, no_dedup])
    assert (status, code) == (400, "InvalidParameterValue")
    assert "ContentBasedDeduplication" in message
    assert visible(sqs, url) == 0  # nothing was sent
    # with content-based deduplication an entry may omit its id
    url = fifo(sqs, "content", ContentBasedDeduplication="true")
    result = sqs.send_message_batch(QueueUrl=url, Entries=[good, no_dedup])
    assert sorted(entry["Id"] for entry in result["Successful"]) == ["nodedup", "ok"]


def test_message_attribute_name_filters(sqs: Any, endpoint: str) -> None:
    url = sqs.create_queue(QueueName="filters")["QueueUrl"]
    names = ("Hello", "Help.Me", "Other")
    attributes = {name: {"DataType": "String", "StringValue": name} for name in names}
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageAttributes=attributes)

    def received(*wanted: str) -> list[str]:
        got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=list(wanted), VisibilityTimeout=0)
        return sorted(got["Messages"][0].get("MessageAttributes", {}))

    assert received("Hel.*") == ["Hello", "Help.Me"]  # a plain prefix, not `Hel.` then anything
    assert received("*") == list(names)
    assert received("All") == list(names)
    assert received("Other", "Help.*") == ["Help.Me", "Other"]
    # the Query protocol reads the same filter
    path = f"/{ACCOUNT}/filters"
    result = ok(
        query(
            endpoint,
            "ReceiveMessage",
            {"MessageAttributeName.1": "Hel.*", "VisibilityTimeout": "0"},
            path=path,
        ),
        "ReceiveMessage",
    )
    found = sorted(
        e.findtext("q:Name", namespaces=NS) or "" for e in result.iterfind("q:Message/q:MessageAttribute", NS)
    )
    assert found == ["Hello", "Help.Me"]
    result = ok(
        query(endpoint, "ReceiveMessage", {"MessageAttributeName.1": "*"}, path=path), "ReceiveMessage"
    )
    assert len(result.findall("q:Message/q:MessageAttribute", NS)) == 3


def test_any_kms_key_id_is_accepted_and_echoed(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/not-made-yet"})["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert got == {"KmsMasterKeyId": "alias/not-made-yet"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "1234abcd-no-such-key"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert got == {"KmsMasterKeyId": "1234abcd-no-such-key"}
    # resolved on use: the send fails while the key does not exist
    status, code, _, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="x")
    assert (status, code) == (400, "KMS.NotFoundException")


def test_an_older_receipt_handle_still_changes_visibility(sqs: Any, server: Server) -> None:
    url = sqs.create_queue(QueueName="older")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]["ReceiptHandle"]
    assert first != second
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=0)
    assert visible(sqs, url) == 1  # the older handle released the current receive
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)
    result = sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "old", "ReceiptHandle": first, "VisibilityTimeout": 0}]
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["old"]
    assert visible(sqs, url) == 1


def test_change_visibility_of_a_deleted_message(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="deleted")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5
    ) == (
        400,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        f"Value {handle} for parameter ReceiptHandle is invalid. "
        "Reason: Message does not exist or is not available for visibility timeout change.",
    )


@pytest.mark.parametrize(
    "url", ["http://localhost:4566/", "http://localhost:4566/just-a-name", "http://host[]/000000000000/q"]
)
def test_malformed_queue_urls_name_no_queue(sqs: Any, endpoint: str, url: str) -> None:
    status, code, shape, message = error_of(sqs.get_queue_attributes, QueueUrl=url)
    assert (status, code, shape, message) == (
        400,
        NON_EXISTENT,
        "QueueDoesNotExist",
        "The specified queue does not exist.",
    )
    # the JSON wire shape and the Query one
    body = json.dumps({"QueueUrl": url}).encode()
    headers = {"X-Amz-Target": "AmazonSQS.GetQueueAttributes", "Content-Type": "application/x-amz-json-1.0"}
    raw = httpx.post(endpoint, content=body, headers=headers)
    assert raw.status_code == 400
    assert raw.json()["__type"].rpartition("#")[2] == "QueueDoesNotExist"
    assert raw.headers["x-amzn-query-error"] == f"{NON_EXISTENT};Sender"
    response = query(endpoint, "GetQueueAttributes", {"QueueUrl": url})
    assert query_error(response) == (
        400,
        NON_EXISTENT,
        "The specified queue does not exist for this wsdl version.",
    )


def test_permission_delay_and_tag_texts(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="texts")["QueueUrl"]
    for action in ("CreateQueue", "SetQueueAttributes", "TagQueue"):
        status, code, _, message = error_of(
            sqs.add_permission,
            QueueUrl=url,
            Label="l",
            AWSAccountIds=["111111111111"],
            Actions=["SendMessage", action],
        )
        assert (status, code) == (400, "InvalidParameterValue")
        assert message == (
            f"Value SQS:{action} for parameter ActionName is invalid. "
            "Reason: Only the queue owner is allowed to invoke this action."
        )
    sqs.add_permission(QueueUrl=url, Label="l", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
    status, code, _, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert (status, code) == (400, "InvalidParameterValue")
    assert (
        message
        == "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
    )
    assert error_of(sqs.tag_queue, QueueUrl=url, Tags={}) == (
        400,
        "MissingParameter",
        "MissingRequiredParameterException",
        "The request must contain the parameter Tags.",
    )
    assert error_of(sqs.untag_queue, QueueUrl=url, TagKeys=[]) == (
        400,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Tag keys must be between 1 and 128 characters in length.",
    )


def test_numbers_of_thousands_of_digits_are_invalid_attributes(sqs: Any) -> None:
    huge = "9" * 5000
    status, code, _, message = error_of(sqs.create_queue, QueueName="huge", Attributes={"DelaySeconds": huge})
    assert (status, code, message) == (
        400,
        "InvalidAttributeValue",
        "Invalid value for the parameter DelaySeconds.",
    )
    url = sqs.create_queue(QueueName="huge")["QueueUrl"]
    status, code, _, _ = error_of(
        sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": huge}
    )
    assert (status, code) == (400, "InvalidAttributeValue")
    # leading zeros do not make a small number huge
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0" * 5000 + "45"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert got == {"VisibilityTimeout": "45"}
