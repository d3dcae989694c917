"""SQS's two wire dialects seen raw: the AWS Query protocol (form POST and GET, to `/` and to the queue
URL's path, XML out) and the error side of AWS JSON 1.0 (`x-amzn-query-error`).

Requests are built by hand with httpx (signed with botocore's SigV4 signer where the credential scope
matters) and responses parsed with xml.etree, so neither side of Headwater's Query codec is trusted.
A boto3 client forced onto the Query protocol then runs the common operations through botocore's
own Query serializer and parser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.loaders import Loader

from tests.e2e.support.server import Server
from tests.e2e.support.sqs import NS, XMLNS, ok, query

ACCOUNT = "000000000000"
JSON = "application/x-amz-json-1.0"


# -- helpers ---------------------------------------------------------------------------------------


def error_of(response: httpx.Response, status: int, code: str) -> ET.Element:
    """The `<Error>` of an `<ErrorResponse>`, after checking status, envelope and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{XMLNS}}}ErrorResponse", response.text
    assert root.findtext("q:RequestId", namespaces=NS) == response.headers["x-amzn-requestid"]
    error = root.find("q:Error", NS)
    assert error is not None
    assert error.findtext("q:Type", namespaces=NS) == "Sender"
    assert error.findtext("q:Code", namespaces=NS) == code
    assert error.find("q:Detail", NS) is not None
    return error


def text(element: ET.Element, path: str) -> str | None:
    return element.findtext(path, namespaces=NS)


def pairs(element: ET.Element, tag: str) -> dict[str, str]:
    """Flattened `<tag><Name/><Value/></tag>` (or Key/Value) elements as a dict."""
    found: dict[str, str] = {}
    for item in element.findall(f"q:{tag}", NS):
        key = item.findtext("q:Name", namespaces=NS) or item.findtext("q:Key", namespaces=NS)
        assert key is not None
        found[key] = item.findtext("q:Value", namespaces=NS) or ""
    return found


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """AWS's MD5OfMessageAttributes, computed here from its definition: names sorted, each field
    length-prefixed (4 bytes, big-endian), a transport byte (1 string, 2 binary) before the value."""
    digest = hashlib.md5()

    def field(data: bytes) -> None:
        digest.update(len(data).to_bytes(4, "big") + data)

    for name in sorted(attributes):
        value = attributes[name]
        field(name.encode())
        field(value["DataType"].encode())
        if "StringValue" in value:
            digest.update(b"\x01")
            field(value["StringValue"].encode())
        else:
            digest.update(b"\x02")
            field(value["BinaryValue"])
    return digest.hexdigest()


def md5(body: str) -> str:
    return hashlib.md5(body.encode()).hexdigest()


def json_call(endpoint: str, operation: str, params: dict[str, Any]) -> httpx.Response:
    body = json.dumps(params).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": JSON, "X-Amz-Target": f"AmazonSQS.{operation}", "x-amzn-query-mode": "true"},
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    return httpx.post(endpoint + "/", content=body, headers=dict(request.headers.items()), timeout=30)


def test_md5_helper_matches_a_published_vector() -> None:
    # the vector of npm `aws-md5-of-message-attributes` quoted in the research notes
    assert (
        md5_of_attributes({"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}})
        == "19e27d4e946b072f3f58da80d94fd778"
    )


# -- queues over Query -----------------------------------------------------------------------------


def test_create_queue_get_url_and_list_queues(endpoint: str, sqs) -> None:  # noqa: ANN001
    created = ok(
        query(
            endpoint,
            "CreateQueue",
            {
                "QueueName": "form-1",
                "Attribute.1.Name": "VisibilityTimeout",
                "Attribute.1.Value": "45",
                "Attribute.2.Name": "DelaySeconds",
                "Attribute.2.Value": "2",
                "Tag.1.Key": "env",
                "Tag.1.Value": "test",
            },
        ),
        "CreateQueue",
    )
    url = text(created, "q:QueueUrl")
    assert url == f"{endpoint}/{ACCOUNT}/form-1"
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"])
    assert got["Attributes"] == {"VisibilityTimeout": "45", "DelaySeconds": "2"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test"}
    for i in (2, 3):  # by GET, unsigned
        ok(
            query(endpoint, "CreateQueue", {"QueueName": f"form-{i}"}, method="GET", region=None),
            "CreateQueue",
        )
    found = ok(query(endpoint, "GetQueueUrl", {"QueueName": "form-2"}, method="GET"), "GetQueueUrl")
    assert text(found, "q:QueueUrl") == f"{endpoint}/{ACCOUNT}/form-2"

    listed = ok(query(endpoint, "ListQueues"), "ListQueues")
    urls = [e.text for e in listed.findall("q:QueueUrl", NS)]
    assert sorted(urls) == [f"{endpoint}/{ACCOUNT}/form-{i}" for i in (1, 2, 3)]
    assert listed.find("q:NextToken", NS) is None
    assert [
        e.text for e in ok(query(endpoint, "ListQueues", {"QueueNamePrefix": "form-3"}), "ListQueues")
    ] == [f"{endpoint}/{ACCOUNT}/form-3"]
    assert len(ok(query(endpoint, "ListQueues", {"QueueNamePrefix": "nope"}), "ListQueues")) == 0
    # pagination over GET
    seen: list[str] = []
    params = {"MaxResults": "2"}
    for _ in range(3):
        page = ok(query(endpoint, "ListQueues", params, method="GET"), "ListQueues")
        seen += [e.text or "" for e in page.findall("q:QueueUrl", NS)]
        token = text(page, "q:NextToken")
        if token is None:
            break
        params = {"MaxResults": "2", "NextToken": token}
    assert sorted(seen) == sorted(urls)


def test_queue_url_path_names_the_queue(endpoint: str, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="pathy")["QueueUrl"]
    path = f"/{ACCOUNT}/pathy"
    ok(query(endpoint, "SetQueueAttributes", {"Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "4"}, path=path), "SetQueueAttributes")  # fmt: skip
    got = ok(
        query(
            endpoint,
            "GetQueueAttributes",
            {"AttributeName.1": "DelaySeconds", "AttributeName.2": "QueueArn"},
            method="GET",
            path=path,
        ),
        "GetQueueAttributes",
    )
    assert pairs(got, "Attribute") == {
        "DelaySeconds": "4",
        "QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:pathy",
    }
    everything = pairs(ok(query(endpoint, "GetQueueAttributes", {"AttributeName.1": "All"}, path=path), "GetQueueAttributes"), "Attribute")  # fmt: skip
    assert everything == sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # a trailing slash is the same queue; a path naming no queue is an error
    ok(query(endpoint, "SendMessage", {"MessageBody": "x"}, path=path + "/"), "SendMessage")
    error_of(
        query(endpoint, "SendMessage", {"MessageBody": "x"}, path=f"/{ACCOUNT}/absent"),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
    )
    ok(query(endpoint, "DeleteQueue", path=path), "DeleteQueue")
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName="pathy")


def test_tags_and_permissions_over_query(endpoint: str, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="tq")["QueueUrl"]
    ok(query(endpoint, "TagQueue", {"QueueUrl": url, "Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b", "Tag.2.Value": "2"}), "TagQueue")  # fmt: skip
    ok(query(endpoint, "UntagQueue", {"QueueUrl": url, "TagKey.1": "a"}), "UntagQueue")
    tags = ok(query(endpoint, "ListQueueTags", {"QueueUrl": url}, method="GET"), "ListQueueTags")
    assert pairs(tags, "Tag") == {"b": "2"}
    ok(
        query(
            endpoint,
            "AddPermission",
            {
                "QueueUrl": url,
                "Label": "p",
                "AWSAccountId.1": "111111111111",
                "AWSAccountId.2": "222222222222",
                "ActionName.1": "SendMessage",
                "ActionName.2": "ReceiveMessage",
            },
        ),
        "AddPermission",
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "p"
    assert sorted(statement["Principal"]["AWS"]) == [
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
    ]
    assert sorted(statement["Action"]) == ["SQS:ReceiveMessage", "SQS:SendMessage"]
    ok(query(endpoint, "RemovePermission", {"QueueUrl": url, "Label": "p"}), "RemovePermission")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])


# -- messages over Query ---------------------------------------------------------------------------


def test_send_and_receive_with_message_attributes(endpoint: str, sqs) -> None:  # noqa: ANN001
    sqs.create_queue(QueueName="attrs")
    path = f"/{ACCOUNT}/attrs"
    sent_attributes = {
        "color": {"DataType": "String", "StringValue": "blue"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
        "price": {"DataType": "Number.float", "StringValue": "1.5"},
    }
    sent = ok(
        query(
            endpoint,
            "SendMessage",
            {
                "MessageBody": "with attributes",
                "MessageAttribute.1.Name": "color",
                "MessageAttribute.1.Value.DataType": "String",
                "MessageAttribute.1.Value.StringValue": "blue",
                "MessageAttribute.2.Name": "blob",
                "MessageAttribute.2.Value.DataType": "Binary",
                "MessageAttribute.2.Value.BinaryValue": base64.b64encode(b"\x00\x01\xfe").decode(),
                "MessageAttribute.3.Name": "price",
                "MessageAttribute.3.Value.DataType": "Number.float",
                "MessageAttribute.3.Value.StringValue": "1.5",
                "MessageSystemAttribute.1.Name": "AWSTraceHeader",
                "MessageSystemAttribute.1.Value.DataType": "String",
                "MessageSystemAttribute.1.Value.StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793",
            },
            path=path,
        ),
        "SendMessage",
    )
    assert text(sent, "q:MD5OfMessageBody") == md5("with attributes")
    assert text(sent, "q:MD5OfMessageAttributes") == md5_of_attributes(sent_attributes)
    trace = {
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}
    }
    assert text(sent, "q:MD5OfMessageSystemAttributes") == md5_of_attributes(trace)
    message_id = text(sent, "q:MessageId")
    assert message_id

    received = ok(
        query(
            endpoint,
            "ReceiveMessage",
            {
                "QueueUrl": f"{endpoint}{path}",
                "AttributeName.1": "SentTimestamp",
                "AttributeName.2": "ApproximateReceiveCount",
                "AttributeName.3": "AWSTraceHeader",
                "MessageAttributeName.1": "color",
                "MessageAttributeName.2": "blob",
                "VisibilityTimeout": "0",
            },
            method="GET",
        ),
        "ReceiveMessage",
    )
    (message,) = received.findall("q:Message", NS)
    assert text(message, "q:MessageId") == message_id
    assert text(message, "q:Body") == "with attributes"
    assert text(message, "q:MD5OfBody") == md5("with attributes")
    handle = text(message, "q:ReceiptHandle")
    assert handle and "-" not in handle
    system = pairs(message, "Attribute")
    assert system.keys() == {"SentTimestamp", "ApproximateReceiveCount", "AWSTraceHeader"}
    assert system["ApproximateReceiveCount"] == "1"
    assert system["AWSTraceHeader"] == trace["AWSTraceHeader"]["StringValue"]
    assert int(system["SentTimestamp"]) > 1_600_000_000_000  # epoch milliseconds
    attributes = {}
    for item in message.findall("q:MessageAttribute", NS):
        value = item.find("q:Value", NS)
        assert value is not None
        attributes[text(item, "q:Name")] = {child.tag.split("}")[1]: child.text for child in value}
    assert attributes == {
        "color": {"StringValue": "blue", "DataType": "String"},
        "blob": {"BinaryValue": base64.b64encode(b"\x00\x01\xfe").decode(), "DataType": "Binary"},
    }
    # the digest covers the attributes returned, so an SDK can check it
    returned = {k: sent_attributes[k] for k in ("color", "blob")}
    assert text(message, "q:MD5OfMessageAttributes") == md5_of_attributes(returned)
    # All and `.*` select everything; no attribute names, no attributes
    everything = ok(
        query(
            endpoint,
            "ReceiveMessage",
            {"MessageAttributeName.1": "All", "AttributeName.1": "All", "VisibilityTimeout": "0"},
            path=path,
        ),  # fmt: skip
        "ReceiveMessage",
    )
    (message,) = everything.findall("q:Message", NS)
    assert {text(m, "q:Name") for m in message.findall("q:MessageAttribute", NS)} == set(sent_attributes)
    assert text(message, "q:MD5OfMessageAttributes") == md5_of_attributes(sent_attributes)
    assert pairs(message, "Attribute")["ApproximateReceiveCount"] == "2"
    assert {"SenderId", "SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= pairs(
        message, "Attribute"
    ).keys()
    bare = ok(query(endpoint, "ReceiveMessage", path=path), "ReceiveMessage")
    (message,) = bare.findall("q:Message", NS)
    assert message.find("q:Attribute", NS) is None
    assert message.find("q:MessageAttribute", NS) is None
    assert message.find("q:MD5OfMessageAttributes", NS) is None
    # in flight now: an empty result, and a delete by receipt handle
    assert len(ok(query(endpoint, "ReceiveMessage", path=path), "ReceiveMessage")) == 0
    ok(query(endpoint, "DeleteMessage", {"ReceiptHandle": text(message, "q:ReceiptHandle") or ""}, path=path), "DeleteMessage")  # fmt: skip
    counts = sqs.get_queue_attributes(QueueUrl=f"{endpoint}{path}", AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_send_message_batch_and_delete_message_batch(endpoint: str, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    sent = ok(
        query(
            endpoint,
            "SendMessageBatch",
            {
                "QueueUrl": url,
                "SendMessageBatchRequestEntry.1.Id": "plain",
                "SendMessageBatchRequestEntry.1.MessageBody": "one",
                "SendMessageBatchRequestEntry.2.Id": "with-attr",
                "SendMessageBatchRequestEntry.2.MessageBody": "two",
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name": "k",
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType": "String",
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue": "v",
                "SendMessageBatchRequestEntry.3.Id": "delayed",
                "SendMessageBatchRequestEntry.3.MessageBody": "three",
                "SendMessageBatchRequestEntry.3.DelaySeconds": "900",
                "SendMessageBatchRequestEntry.4.Id": "bad_delay",
                "SendMessageBatchRequestEntry.4.MessageBody": "four",
                "SendMessageBatchRequestEntry.4.DelaySeconds": "901",
            },
        ),
        "SendMessageBatch",
    )
    entries = {text(e, "q:Id"): e for e in sent.findall("q:SendMessageBatchResultEntry", NS)}
    assert entries.keys() == {"plain", "with-attr", "delayed"}
    assert text(entries["plain"], "q:MD5OfMessageBody") == md5("one")
    assert entries["plain"].find("q:MD5OfMessageAttributes", NS) is None
    assert text(entries["with-attr"], "q:MD5OfMessageAttributes") == md5_of_attributes(
        {"k": {"DataType": "String", "StringValue": "v"}}
    )
    assert len({text(e, "q:MessageId") for e in entries.values()}) == 3
    (failed,) = sent.findall("q:BatchResultErrorEntry", NS)
    assert text(failed, "q:Id") == "bad_delay"
    assert text(failed, "q:SenderFault") == "true"
    assert text(failed, "q:Code") == "InvalidParameterValue"
    assert text(failed, "q:Message")

    received = ok(
        query(endpoint, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "10"}), "ReceiveMessage"
    )
    handles = {text(m, "q:Body"): text(m, "q:ReceiptHandle") or "" for m in received.findall("q:Message", NS)}
    assert handles.keys() == {"one", "two"}  # "three" is delayed
    deleted = ok(
        query(
            endpoint,
            "DeleteMessageBatch",
            {
                "QueueUrl": url,
                "DeleteMessageBatchRequestEntry.1.Id": "a",
                "DeleteMessageBatchRequestEntry.1.ReceiptHandle": handles["one"],
                "DeleteMessageBatchRequestEntry.2.Id": "b",
                "DeleteMessageBatchRequestEntry.2.ReceiptHandle": handles["two"],
                "DeleteMessageBatchRequestEntry.3.Id": "c",
                "DeleteMessageBatchRequestEntry.3.ReceiptHandle": "not-a-handle",
            },
        ),
        "DeleteMessageBatch",
    )
    assert sorted(text(e, "q:Id") or "" for e in deleted.findall("q:DeleteMessageBatchResultEntry", NS)) == [
        "a",
        "b",
    ]
    (failed,) = deleted.findall("q:BatchResultErrorEntry", NS)
    assert text(failed, "q:Id") == "c"
    assert text(failed, "q:Code") == "ReceiptHandleIsInvalid"
    assert text(failed, "q:SenderFault") == "true"
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"


def test_change_message_visibility_over_query(endpoint: str, sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="vis")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    received = ok(
        query(endpoint, "ReceiveMessage", {"QueueUrl": url, "VisibilityTimeout": "5"}), "ReceiveMessage"
    )
    handle = text(received, "q:Message/q:ReceiptHandle") or ""
    ok(query(endpoint, "ChangeMessageVisibility", {"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": "100"}), "ChangeMessageVisibility")  # fmt: skip
    server.advance(50)
    assert len(ok(query(endpoint, "ReceiveMessage", {"QueueUrl": url}), "ReceiveMessage")) == 0
    changed = ok(
        query(
            endpoint,
            "ChangeMessageVisibilityBatch",
            {
                "QueueUrl": url,
                "ChangeMessageVisibilityBatchRequestEntry.1.Id": "ok",
                "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": handle,
                "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": "0",
            },
        ),
        "ChangeMessageVisibilityBatch",
    )
    assert [text(e, "q:Id") for e in changed.findall("q:ChangeMessageVisibilityBatchResultEntry", NS)] == [
        "ok"
    ]
    assert (
        text(ok(query(endpoint, "ReceiveMessage", {"QueueUrl": url}), "ReceiveMessage"), "q:Message/q:Body")
        == "m"
    )


def test_sqs_escapes_quotes_and_carriage_returns(endpoint: str, sqs) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="esc")["QueueUrl"]
    body = "say \"hi\"\r\nline <two> & 'three'\r"
    sent = ok(
        query(
            endpoint,
            "SendMessage",
            {
                "QueueUrl": url,
                "MessageBody": body,
                "MessageAttribute.1.Name": "q",
                "MessageAttribute.1.Value.DataType": "String",
                "MessageAttribute.1.Value.StringValue": 'a "quoted"\rvalue',
            },
        ),
        "SendMessage",
    )
    assert text(sent, "q:MD5OfMessageBody") == md5(body)
    response = query(endpoint, "ReceiveMessage", {"QueueUrl": url, "MessageAttributeName.1": "All"})
    raw = response.content
    assert b"<Body>say &quot;hi&quot;&#xD;\nline &lt;two&gt; &amp; 'three'&#xD;</Body>" in raw
    assert b"<StringValue>a &quot;quoted&quot;&#xD;value</StringValue>" in raw
    assert b"\r" not in raw  # a literal CR would come back from any XML parser as \n
    message = ok(response, "ReceiveMessage").find("q:Message", NS)
    assert message is not None
    assert text(message, "q:Body") == body
    assert text(message, "q:MessageAttribute/q:Value/q:StringValue") == 'a "quoted"\rvalue'
    assert text(message, "q:MD5OfBody") == md5(body)
    # the JSON side returns the same bytes
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=text(message, "q:ReceiptHandle"), VisibilityTimeout=0
    )
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == body


# -- account, region and host --------------------------------------------------------------------


def test_signature_scope_selects_account_and_region(endpoint: str) -> None:
    created = ok(
        query(
            endpoint, "CreateQueue", {"QueueName": "scoped"}, region="eu-west-1", access_key="123456789012"
        ),
        "CreateQueue",
    )
    url = text(created, "q:QueueUrl")
    assert url == f"{endpoint}/123456789012/scoped"
    got = ok(
        query(
            endpoint,
            "GetQueueAttributes",
            {"AttributeName.1": "QueueArn"},
            method="GET",
            path="/123456789012/scoped",
            region="eu-west-1",
            access_key="123456789012",
        ),
        "GetQueueAttributes",
    )
    assert pairs(got, "Attribute") == {"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:scoped"}
    # us-east-1 has no such queue
    error_of(
        query(endpoint, "GetQueueUrl", {"QueueName": "scoped", "QueueOwnerAWSAccountId": "123456789012"}),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
    )
    found = ok(
        query(
            endpoint,
            "GetQueueUrl",
            {"QueueName": "scoped", "QueueOwnerAWSAccountId": "123456789012"},
            region="eu-west-1",
        ),  # fmt: skip
        "GetQueueUrl",
    )
    assert text(found, "q:QueueUrl") == url


def test_queue_urls_echo_the_host_header(endpoint: str) -> None:
    created = ok(
        query(
            endpoint, "CreateQueue", {"QueueName": "h"}, region=None, headers={"Host": "queues.example:8443"}
        ),
        "CreateQueue",
    )
    assert text(created, "q:QueueUrl") == f"http://queues.example:8443/{ACCOUNT}/h"
    listed = ok(query(endpoint, "ListQueues", region=None, headers={"Host": "other.example"}), "ListQueues")
    assert [e.text for e in listed] == [f"http://other.example/{ACCOUNT}/h"]


# -- errors ----------------------------------------------------------------------------------------


def test_query_errors(endpoint: str, sqs, server: Server) -> None:  # noqa: ANN001
    url = sqs.create_queue(QueueName="errs", Attributes={"DelaySeconds": "1"})["QueueUrl"]
    error = error_of(
        query(endpoint, "GetQueueUrl", {"QueueName": "missing"}),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
    )
    assert text(error, "q:Message") == "The specified queue does not exist for this wsdl version."
    error = error_of(
        query(
            endpoint,
            "CreateQueue",
            {"QueueName": "errs", "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "2"},
        ),  # fmt: skip
        400,
        "QueueAlreadyExists",
    )
    assert text(error, "q:Message") == (
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    )
    ok(query(endpoint, "PurgeQueue", {"QueueUrl": url}), "PurgeQueue")
    error = error_of(
        query(endpoint, "PurgeQueue", {"QueueUrl": url}, method="GET"),
        403,
        "AWS.SimpleQueueService.PurgeQueueInProgress",
    )
    assert text(error, "q:Message") == "Only one PurgeQueue operation on errs is allowed every 60 seconds."
    error = error_of(
        query(
            endpoint,
            "SetQueueAttributes",
            {"QueueUrl": url, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "43201"},
        ),  # fmt: skip
        400,
        "InvalidAttributeValue",
    )
    assert text(error, "q:Message") == "Invalid value for the parameter VisibilityTimeout."
    error_of(
        query(endpoint, "GetQueueAttributes", {"QueueUrl": url, "AttributeName.1": "Bogus"}),
        400,
        "InvalidAttributeName",
    )
    error = error_of(query(endpoint, "SendMessage", {"QueueUrl": url}), 400, "MissingParameter")
    assert text(error, "q:Message") == "The request must contain the parameter MessageBody."
    error_of(query(endpoint, "Frobnicate"), 400, "InvalidAction")
    error_of(
        query(endpoint, "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": "garbage"}),
        400,
        "ReceiptHandleIsInvalid",
    )
    batch = {f"SendMessageBatchRequestEntry.{i}.Id": f"e{i}" for i in range(1, 12)}
    batch |= {f"SendMessageBatchRequestEntry.{i}.MessageBody": "x" for i in range(1, 12)}
    error_of(
        query(endpoint, "SendMessageBatch", {"QueueUrl": url, **batch}),
        400,
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    )
    twice = {
        "SendMessageBatchRequestEntry.1.Id": "same",
        "SendMessageBatchRequestEntry.1.MessageBody": "x",
        "SendMessageBatchRequestEntry.2.Id": "same",
        "SendMessageBatchRequestEntry.2.MessageBody": "y",
    }
    error_of(
        query(endpoint, "SendMessageBatch", {"QueueUrl": url, **twice}),
        400,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    )
    actions = {f"ActionName.{i}": "SendMessage" for i in range(1, 9)}
    error_of(
        query(
            endpoint,
            "AddPermission",
            {"QueueUrl": url, "Label": "l", "AWSAccountId.1": "111111111111", **actions},
        ),
        403,
        "OverLimit",
    )
    error_of(
        query(endpoint, "StartMessageMoveTask", {"SourceArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:nope"}),
        404,
        "ResourceNotFoundException",
    )
    ok(query(endpoint, "DeleteQueue", {"QueueUrl": url}), "DeleteQueue")
    error_of(
        query(endpoint, "CreateQueue", {"QueueName": "errs"}),
        400,
        "AWS.SimpleQueueService.QueueDeletedRecently",
    )


@pytest.mark.parametrize(
    ("operation", "params", "shape", "code", "status"),
    [
        (
            "GetQueueUrl",
            {"QueueName": "missing"},
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            400,
        ),
        (
            "CreateQueue",
            {"QueueName": "e", "Attributes": {"DelaySeconds": "5"}},
            "QueueNameExists",
            "QueueAlreadyExists",
            400,
        ),  # fmt: skip
        (
            "PurgeQueue",
            {"QueueUrl": "URL"},
            "PurgeQueueInProgress",
            "AWS.SimpleQueueService.PurgeQueueInProgress",
            403,
        ),  # fmt: skip
        (
            "SetQueueAttributes",
            {"QueueUrl": "URL", "Attributes": {"DelaySeconds": "901"}},
            "InvalidAttributeValue",
            "InvalidAttributeValue",
            400,
        ),  # fmt: skip
        ("SendMessage", {"QueueUrl": "URL"}, "MissingRequiredParameterException", "MissingParameter", 400),
        (
            "DeleteMessage",
            {"QueueUrl": "URL", "ReceiptHandle": "garbage"},
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            400,
        ),  # fmt: skip
        (
            "SendMessageBatch",
            {"QueueUrl": "URL", "Entries": []},
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            400,
        ),  # fmt: skip
        (
            "StartMessageMoveTask",
            {"SourceArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:nope"},
            "ResourceNotFoundException",
            "ResourceNotFoundException",
            404,
        ),  # fmt: skip
    ],
)
def test_json_errors_carry_the_query_code_header(
    endpoint: str,
    sqs,  # noqa: ANN001
    operation: str,
    params: dict[str, Any],
    shape: str,
    code: str,
    status: int,
) -> None:
    url = sqs.create_queue(QueueName="e")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)  # so the next purge is refused
    params = {k: url if v == "URL" else v for k, v in params.items()}
    response = json_call(endpoint, operation, params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    assert response.headers["x-amzn-query-error"] == f"{code};Sender"
    assert response.headers["x-amzn-requestid"]
    body = response.json()
    assert body["__type"].rpartition("#")[2] == shape
    assert body["message"]


def test_json_success_has_no_query_error_header(endpoint: str) -> None:
    response = json_call(endpoint, "CreateQueue", {"QueueName": "fine"})
    assert response.status_code == 200
    assert "x-amzn-query-error" not in response.headers
    assert response.json() == {"QueueUrl": f"{endpoint}/{ACCOUNT}/fine"}
    # an empty receive has no `Messages` member at all
    empty = json_call(endpoint, "ReceiveMessage", {"QueueUrl": f"{endpoint}/{ACCOUNT}/fine"})
    assert empty.status_code == 200
    assert empty.json() == {}


# -- botocore's own Query serializer and parser ----------------------------------------------------


@pytest.fixture
def query_sqs(endpoint: str, tmp_path: Path):  # noqa: ANN201
    """A boto3 SQS client speaking the Query protocol: botocore's current SQS model with the Query-era
    wire traits put back (Headwater's overlay), loaded ahead of the bundled JSON-era model."""
    from headwater.protocol.models import query_model

    folder = tmp_path / "models" / "sqs" / "2012-11-05"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(query_model("sqs")._service_description))
    session = botocore.session.Session()
    session.register_component("data_loader", Loader(extra_search_paths=[str(tmp_path / "models")]))
    client = boto3.Session(botocore_session=session).client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == "query"
    return client


def test_boto3_over_the_query_protocol(query_sqs, sqs, endpoint: str) -> None:  # noqa: ANN001
    bodies: list[bytes] = []
    query_sqs.meta.events.register("before-send.sqs.*", lambda request, **_: bodies.append(request.body))
    url = query_sqs.create_queue(QueueName="qb", Attributes={"VisibilityTimeout": "7"}, tags={"t": "1"})[
        "QueueUrl"
    ]
    assert str(bodies[-1]).startswith("Action=CreateQueue&Version=2012-11-05")
    assert url == f"{endpoint}/{ACCOUNT}/qb"
    assert query_sqs.list_queues()["QueueUrls"] == [url]
    assert query_sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"t": "1"}
    attributes = {
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x07"},
    }
    sent = query_sqs.send_message(QueueUrl=url, MessageBody='q"\r', MessageAttributes=attributes)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attributes)
    batch = query_sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"b{i}"} for i in range(3)]
    )
    assert sorted(e["Id"] for e in batch["Successful"]) == ["e0", "e1", "e2"]
    assert "Failed" not in batch
    received = query_sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    by_body = {m["Body"]: m for m in received}
    assert by_body.keys() == {'q"\r', "b0", "b1", "b2"}
    assert by_body['q"\r']["MessageAttributes"] == {
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x07"},
    }
    assert by_body["b0"]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "MessageAttributes" not in by_body["b0"]
    result = query_sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
    )
    assert len(result["Successful"]) == 4
    assert "Messages" not in query_sqs.receive_message(QueueUrl=url)
    got = query_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert got == sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as caught:
        query_sqs.get_queue_url(QueueName="absent")
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    query_sqs.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as caught:
        query_sqs.purge_queue(QueueUrl=url)
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    query_sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues()
