"""SQS messages end to end: boto3 (AWS JSON 1.0) against a real server process.

Time-based behaviour (visibility, delays, retention, long-poll deadlines) runs on the server's
test clock (POST /_headwater/clock), so no test waits for a timeout. Digests are checked against
`md5_of_attributes` below, written from AWS's published algorithm and pinned to a published vector,
because boto3 itself never checks them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


# --- helpers -------------------------------------------------------------------------------------


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: dict[str, dict[str, Any]] | None) -> str | None:
    """AWS's MD5OfMessageAttributes: per attribute in name order, length-prefixed (4 bytes, big
    endian) name and DataType, a transport byte (1 string, 2 binary), the length-prefixed value."""
    if not attributes:
        return None
    data = bytearray()

    def put(part: bytes) -> None:
        data.extend(len(part).to_bytes(4, "big") + part)

    for name in sorted(attributes):
        attribute = attributes[name]
        put(name.encode())
        put(attribute["DataType"].encode())
        if "StringValue" in attribute:
            data.append(1)
            put(attribute["StringValue"].encode("utf-8", "surrogatepass"))
        else:
            data.append(2)
            put(bytes(attribute["BinaryValue"]))
    return md5_hex(bytes(data))


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, str]:
    """(query code, JSON shape name, message) of the error a call raises."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("QueryErrorCode", ""), error.get("Message", "")


def make_queue(sqs: Any, name: str, **attributes: str) -> str:
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def receive(sqs: Any, url: str, count: int = 10, **params: Any) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **params).get("Messages", [])


def counters(sqs: Any, url: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed)."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    visible, inflight, delayed = (int(attributes[name]) for name in names)
    return visible, inflight, delayed


def server_now_ms(server: Server) -> int:
    return int(float(server.admin("GET", "clock")["now"]) * 1000)


def raw_responses(client: Any, operation: str) -> list[dict[str, Any]]:
    """The JSON bodies the server sends for `operation`, before botocore parses them."""
    seen: list[dict[str, Any]] = []

    def keep(http_response: Any, **_: Any) -> None:
        seen.append(json.loads(http_response.content))

    client.meta.events.register(f"after-call.sqs.{operation}", keep)
    return seen


def test_md5_helper_matches_published_vector() -> None:
    """The published test vector (npm aws-md5-of-message-attributes) pins the helper itself."""
    attributes = {"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}}
    assert md5_of_attributes(attributes) == "19e27d4e946b072f3f58da80d94fd778"


# --- send, receive, delete -----------------------------------------------------------------------


def test_send_receive_delete(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "basic")
    assert url.endswith("/000000000000/basic")
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sent["MD5OfMessageBody"] == md5_hex(b"hello")
    assert "MD5OfMessageAttributes" not in sent and "MD5OfMessageSystemAttributes" not in sent
    (message,) = receive(sqs, url)
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "hello"
    assert message["MD5OfBody"] == md5_hex(b"hello")
    assert receive(sqs, url) == []  # in flight for the queue's 30 s
    assert counters(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counters(sqs, url) == (0, 0, 0)
    server.advance(31)
    assert receive(sqs, url) == []  # deleted: never comes back


def test_non_ascii_body_round_trips_with_utf8_digest(sqs: Any) -> None:
    url = make_queue(sqs, "utf8")
    body = "héllo wörld ✓ 日本語 😀 \t\n\r end"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_hex(body.encode())
    (message,) = receive(sqs, url)
    assert message["Body"] == body
    assert message["MD5OfBody"] == md5_hex(body.encode())


def test_batch_send_with_per_entry_failures(sqs: Any) -> None:
    url = make_queue(sqs, "batch", MaximumMessageSize="1024")
    attributes = {"n": {"DataType": "Number", "StringValue": "42"}}
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "first", "MessageAttributes": attributes},
            {"Id": "badchar", "MessageBody": "bad \x00 byte"},
            {"Id": "toolong", "MessageBody": "x" * 1025},
            {"Id": "reserved", "MessageBody": "b", "MessageAttributes": {"AWS.x": attributes["n"]}},
            {"Id": "nan", "MessageBody": "b", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}},
            {"Id": "dedup", "MessageBody": "b", "MessageDeduplicationId": "d1"},
            {"Id": "ok2", "MessageBody": "second", "DelaySeconds": 0},
        ],
    )  # fmt: skip
    successful = {entry["Id"]: entry for entry in result["Successful"]}
    assert set(successful) == {"ok1", "ok2"}
    assert successful["ok1"]["MD5OfMessageBody"] == md5_hex(b"first")
    assert successful["ok1"]["MD5OfMessageAttributes"] == md5_of_attributes(attributes)
    assert "MD5OfMessageAttributes" not in successful["ok2"]
    failed = {entry["Id"]: entry for entry in result["Failed"]}
    assert set(failed) == {"badchar", "toolong", "reserved", "nan", "dedup"}
    assert all(entry["SenderFault"] is True for entry in failed.values())
    assert failed["badchar"]["Code"] == "InvalidMessageContents"
    assert failed["badchar"]["Message"].startswith(
        "Invalid binary character '#x0' was found in the message body"
    )
    assert failed["toolong"]["Code"] == "InvalidParameterValue"
    assert failed["toolong"]["Message"] == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    )
    assert failed["reserved"]["Code"] == "InvalidParameterValue"
    assert "reserved for internal use" in failed["reserved"]["Message"]
    assert failed["nan"]["Code"] == "InvalidParameterValue"
    assert failed["nan"]["Message"] == "Can't cast the value of message (user) attribute 'n' to a number."
    assert failed["dedup"]["Code"] == "InvalidParameterValue"
    assert "MessageDeduplicationId" in failed["dedup"]["Message"]
    bodies = sorted(m["Body"] for m in receive(sqs, url))
    assert bodies == ["first", "second"]  # only the successful entries were stored


def test_batch_request_errors(sqs: Any) -> None:
    url = make_queue(sqs, "batch-errors")
    send = sqs.send_message_batch
    code, shape, message = error_of(send, QueueUrl=url, Entries=[])
    assert (code, shape) == ("AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest")
    assert message == "There should be at least one SendMessageBatchRequestEntry in the request."
    entries = [{"Id": f"m{i}", "MessageBody": "b"} for i in range(11)]
    code, shape, message = error_of(send, QueueUrl=url, Entries=entries)
    assert shape == "TooManyEntriesInBatchRequest"
    assert code == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    assert message == "Maximum number of entries per request are 10. You have sent 11."
    code, shape, message = error_of(send, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b"}] * 2)
    assert (code, shape) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct")
    assert message == "Id a repeated."
    code, shape, _ = error_of(send, QueueUrl=url, Entries=[{"Id": "not valid!", "MessageBody": "b"}])
    assert (code, shape) == ("AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId")
    big = "x" * 600_000
    code, shape, message = error_of(
        send, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": big}, {"Id": "b", "MessageBody": big}]
    )
    assert (code, shape) == ("AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong")
    assert message == "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
    assert counters(sqs, url) == (0, 0, 0)  # a refused batch stores nothing


# --- size and characters -------------------------------------------------------------------------


def test_one_mebibyte_limit(sqs: Any) -> None:
    url = make_queue(sqs, "mib")
    body = "a" * 1_048_576
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_hex(body.encode())
    code, shape, message = error_of(sqs.send_message, QueueUrl=url, MessageBody=body + "a")
    assert (code, shape) == ("InvalidParameterValue", "InvalidParameterValueException")
    assert (
        message == "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    )
    # attribute names, types and values count toward the limit
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    code, _, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
    assert code == "InvalidParameterValue"
    (message_in,) = receive(sqs, url)
    assert len(message_in["Body"]) == 1_048_576


def test_queue_maximum_message_size(sqs: Any) -> None:
    url = make_queue(sqs, "small", MaximumMessageSize="1024")
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    _, _, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1025)
    assert message == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    # bytes, not characters: é is two bytes in UTF-8
    sqs.send_message(QueueUrl=url, MessageBody="é" * 512)
    error_of(sqs.send_message, QueueUrl=url, MessageBody="é" * 512 + "x")
    # body + name (1) + DataType (6) + value: exactly 1024 passes, one more byte fails
    attribute = {"n": {"DataType": "String", "StringValue": "v" * 17}}
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1000, MessageAttributes=attribute)
    error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1001, MessageAttributes=attribute)
    # AWSTraceHeader does not count toward the size
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}}
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024, MessageSystemAttributes=trace)
    # the limit can be raised later and then applies
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "2048"})
    sqs.send_message(QueueUrl=url, MessageBody="x" * 2048)
    assert counters(sqs, url) == (5, 0, 0)


@pytest.mark.parametrize("bad", ["\x00", "\x08", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_invalid_characters_are_refused(sqs: Any, bad: str) -> None:
    url = make_queue(sqs, "chars")
    code, _, message = error_of(sqs.send_message, QueueUrl=url, MessageBody=f"a{bad}b")
    assert code == "InvalidMessageContents"
    assert message == (
        f"Invalid binary character '#x{ord(bad):X}' was found in the message body, the set of allowed "
        "characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
    )
    attribute = {"s": {"DataType": "String", "StringValue": f"a{bad}b"}}
    code, _, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="ok", MessageAttributes=attribute)
    assert code == "InvalidParameterValue"
    assert counters(sqs, url) == (0, 0, 0)


def test_allowed_characters_round_trip(sqs: Any) -> None:
    url = make_queue(sqs, "chars-ok")
    body = "\t\n\r \x7f\u0080\ud7ff\ue000\ufffd\U00010000\U0010ffff"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_hex(body.encode())
    (message,) = receive(sqs, url)
    assert message["Body"] == body


# --- message attributes --------------------------------------------------------------------------

ATTRIBUTES: dict[str, dict[str, Any]] = {
    "color": {"DataType": "String", "StringValue": "bleu ciel ✓"},
    "count": {"DataType": "Number", "StringValue": "-12.5e3"},
    "ratio": {"DataType": "Number.float", "StringValue": "0.25"},
    "blob": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
    "image": {"DataType": "Binary.png", "BinaryValue": b"\x89PNG\r\n\x1a\n"},
    "tenant.id": {"DataType": "String.uuid", "StringValue": "3f2b1c9e-0000-4000-8000-000000000001"},
    "tenant.name": {"DataType": "String", "StringValue": "Ærø"},
    "Zeta": {"DataType": "String", "StringValue": "upper case sorts first"},
}


def test_message_attributes_round_trip_with_digests(sqs: Any) -> None:
    url = make_queue(sqs, "attrs")
    expected = md5_of_attributes(ATTRIBUTES)
    sent = sqs.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageAttributes"] == expected
    batch = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "one", "MessageBody": "batched", "MessageAttributes": ATTRIBUTES}]
    )
    assert batch["Successful"][0]["MD5OfMessageAttributes"] == expected
    messages = receive(sqs, url, MessageAttributeNames=["All"])
    assert sorted(m["Body"] for m in messages) == ["batched", "with attributes"]
    for message in messages:
        assert message["MessageAttributes"] == ATTRIBUTES
        assert message["MD5OfMessageAttributes"] == expected


def test_message_attribute_rules(sqs: Any) -> None:
    url = make_queue(sqs, "attr-rules")
    string = {"DataType": "String", "StringValue": "v"}
    eleven = {f"a{i}": string for i in range(11)}
    _, _, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="b", MessageAttributes=eleven)
    assert message == "Number of message attributes [11] exceeds the allowed maximum [10]."
    ten = {f"a{i}": string for i in range(10)}
    sent = sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=ten)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(ten)
    for name in ("AWS.thing", "amazon.thing", ".lead", "trail.", "two..dots", "sp ace"):
        code, _, _ = error_of(
            sqs.send_message, QueueUrl=url, MessageBody="b", MessageAttributes={name: string}
        )
        assert code == "InvalidParameterValue", name
    bad_values = [
        {"DataType": "Number", "StringValue": "12abc"},
        {"DataType": "Text", "StringValue": "v"},
        {"DataType": "Binary", "StringValue": "v"},
        {"DataType": "String", "StringValue": ""},
    ]
    for value in bad_values:
        code, _, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="b", MessageAttributes={"a": value})
        assert code == "InvalidParameterValue", value
    assert counters(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize(
    ("wanted", "names"),
    [
        (["All"], sorted(ATTRIBUTES)),
        ([".*"], sorted(ATTRIBUTES)),
        (["tenant.*"], ["tenant.id", "tenant.name"]),
        (["color", "blob", "missing"], ["blob", "color"]),
        (["ratio", "tenant.*"], ["ratio", "tenant.id", "tenant.name"]),
        (["nothing.*", "absent"], []),
        ([], []),
    ],
)
def test_receive_attribute_filters(sqs: Any, wanted: list[str], names: list[str]) -> None:
    url = make_queue(sqs, "filters")
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes=ATTRIBUTES)
    (message,) = receive(sqs, url, MessageAttributeNames=wanted)
    if not names:
        assert "MessageAttributes" not in message
        assert "MD5OfMessageAttributes" not in message
        return
    selected = {name: ATTRIBUTES[name] for name in names}
    assert message["MessageAttributes"] == selected
    # the digest covers what was returned, so an SDK can check it
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(selected)


def test_digests_absent_without_attributes(endpoint: str) -> None:
    sqs = client_for(endpoint, "sqs")
    raw_sends = raw_responses(sqs, "SendMessage")
    raw_batches = raw_responses(sqs, "SendMessageBatch")
    raw_receives = raw_responses(sqs, "ReceiveMessage")
    url = make_queue(sqs, "plain")
    sqs.send_message(QueueUrl=url, MessageBody="plain")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "plain too"}])
    messages = receive(sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    assert len(messages) == 2
    assert set(raw_sends[0]) == {"MD5OfMessageBody", "MessageId"}
    assert set(raw_batches[0]["Successful"][0]) == {"Id", "MD5OfMessageBody", "MessageId"}
    assert raw_batches[0].get("Failed", []) == []
    for message in raw_receives[0]["Messages"]:
        # no empty MessageAttributes map, no digest of nothing: the PHP SDK rejects both
        assert set(message) == {"MessageId", "ReceiptHandle", "MD5OfBody", "Body", "Attributes"}


# --- system attributes ---------------------------------------------------------------------------


def test_system_attributes_all_and_individual(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "system")
    before = server_now_ms(server)
    sent = sqs.send_message(QueueUrl=url, MessageBody="b")
    after = server_now_ms(server)
    (first,) = receive(sqs, url, MessageSystemAttributeNames=["All"])
    attributes = first["Attributes"]
    assert set(attributes) == {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
    }
    assert attributes["SenderId"]
    assert before <= int(attributes["SentTimestamp"]) <= after
    assert attributes["ApproximateReceiveCount"] == "1"
    first_receive = int(attributes["ApproximateFirstReceiveTimestamp"])
    assert int(attributes["SentTimestamp"]) <= first_receive <= server_now_ms(server)
    server.advance(31)
    # one name, with the deprecated AttributeNames parameter
    (second,) = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == sent["MessageId"]
    assert second["Attributes"] == {"ApproximateReceiveCount": "2"}
    server.advance(31)
    (third,) = receive(
        sqs, url, MessageSystemAttributeNames=["ApproximateFirstReceiveTimestamp", "SentTimestamp"]
    )
    assert third["Attributes"] == {
        "ApproximateFirstReceiveTimestamp": str(first_receive),  # the first receive's, kept
        "SentTimestamp": attributes["SentTimestamp"],
    }
    server.advance(31)
    (fourth,) = receive(sqs, url)
    assert "Attributes" not in fourth  # none asked for


def test_aws_trace_header(sqs: Any) -> None:
    url = make_queue(sqs, "trace")
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="traced", MessageSystemAttributes=system)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(system)
    assert "MD5OfMessageAttributes" not in sent
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "t", "MessageBody": "traced too", "MessageSystemAttributes": system,
             "MessageAttributes": ATTRIBUTES},
            {"Id": "u", "MessageBody": "untraced"},
        ],
    )  # fmt: skip
    by_id = {entry["Id"]: entry for entry in batch["Successful"]}
    assert by_id["t"]["MD5OfMessageSystemAttributes"] == md5_of_attributes(system)
    assert by_id["t"]["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)
    assert "MD5OfMessageSystemAttributes" not in by_id["u"]
    messages = receive(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    traces = {m["Body"]: m.get("Attributes") for m in messages}
    assert traces == {
        "traced": {"AWSTraceHeader": TRACE},
        "traced too": {"AWSTraceHeader": TRACE},
        "untraced": None,
    }
    code, _, _ = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="b",
        MessageSystemAttributes={"Custom": {"DataType": "String", "StringValue": "x"}},
    )
    assert code == "InvalidParameterValue"
    code, _, _ = error_of(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="b",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}},
    )
    assert code == "InvalidParameterValue"


# --- visibility ----------------------------------------------------------------------------------


def test_visibility_timeout_expiry(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "vis", VisibilityTimeout="30")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    (first,) = receive(sqs, url)
    server.advance(29)
    assert receive(sqs, url) == []
    server.advance(1.5)
    (second,) = receive(sqs, url, VisibilityTimeout=5, AttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    server.advance(5.5)  # the request's VisibilityTimeout, not the queue's
    (third,) = receive(sqs, url, VisibilityTimeout=0)
    (fourth,) = receive(sqs, url)  # visibility 0: visible again at once
    assert third["MessageId"] == fourth["MessageId"] == first["MessageId"]


def test_change_message_visibility(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "cmv")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    (message,) = receive(sqs, url)
    handle = message["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=100)
    server.advance(31)
    assert receive(sqs, url) == []  # extended past the queue's 30 s
    server.advance(70)
    (again,) = receive(sqs, url)
    handle = again["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert counters(sqs, url) == (1, 0, 0)  # back at once
    # the old handle's message is no longer in flight
    code, shape, message_text = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10
    )
    assert (code, shape) == ("AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight")
    assert message_text == "Message does not exist or is not available for visibility timeout change."
    # a changed timeout is not remembered: the next receive uses the queue's 30 s again
    (third,) = receive(sqs, url)
    server.advance(31)
    (fourth,) = receive(sqs, url)
    assert fourth["MessageId"] == third["MessageId"]
    # the 12-hour cap counts from the receive
    handle = fourth["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=1000)
    server.advance(100)
    code, _, message_text = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_200
    )
    assert code == "InvalidParameterValue"
    assert message_text.endswith(
        "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
    )
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_000)
    code, _, _ = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_201
    )
    assert code == "InvalidParameterValue"
    code, _, _ = error_of(
        sqs.change_message_visibility, QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=10
    )
    assert code == "ReceiptHandleIsInvalid"


def test_change_message_visibility_batch(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "cmvb")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(3)])
    messages = receive(sqs, url)
    assert len(messages) == 3
    a, b, c = (m["ReceiptHandle"] for m in messages)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=c, VisibilityTimeout=0)
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "extend", "ReceiptHandle": a, "VisibilityTimeout": 120},
            {"Id": "release", "ReceiptHandle": b, "VisibilityTimeout": 0},
            {"Id": "notinflight", "ReceiptHandle": c, "VisibilityTimeout": 60},
            {"Id": "garbage", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 60},
            {"Id": "toolong", "ReceiptHandle": a, "VisibilityTimeout": 43_201},
        ],
    )
    assert sorted(entry["Id"] for entry in result["Successful"]) == ["extend", "release"]
    failed = {entry["Id"]: entry for entry in result["Failed"]}
    assert failed["notinflight"]["Code"] == "AWS.SimpleQueueService.MessageNotInflight"
    assert failed["garbage"]["Code"] == "ReceiptHandleIsInvalid"
    assert failed["toolong"]["Code"] == "InvalidParameterValue"
    assert all(entry["SenderFault"] is True for entry in failed.values())
    assert counters(sqs, url) == (2, 1, 0)  # b released, c never back in flight, a extended
    server.advance(119)
    assert sorted(m["Body"] for m in receive(sqs, url, VisibilityTimeout=600)) == ["b1", "b2"]
    server.advance(2)
    assert [m["Body"] for m in receive(sqs, url)] == ["b0"]
    code, _, _ = error_of(sqs.change_message_visibility_batch, QueueUrl=url, Entries=[])
    assert code == "AWS.SimpleQueueService.EmptyBatchRequest"
    entries = [{"Id": "x", "ReceiptHandle": a, "VisibilityTimeout": 1}] * 2
    code, _, _ = error_of(sqs.change_message_visibility_batch, QueueUrl=url, Entries=entries)
    assert code == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


# --- receipt handles -----------------------------------------------------------------------------


def test_receipt_handles_are_url_safe_without_dashes(sqs: Any) -> None:
    url = make_queue(sqs, "handles")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(10)])
    handles = [m["ReceiptHandle"] for m in receive(sqs, url)]
    assert len(set(handles)) == 10
    for handle in handles:
        assert "-" not in handle  # the extended clients split modified handles on "-"
        assert quote(handle, safe="") == handle  # nothing to escape in a URL or a form


def test_old_receipt_handles(sqs: Any, endpoint: str, server: Server) -> None:
    url = make_queue(sqs, "old-handles")
    other = make_queue(sqs, "other")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    (first,) = receive(sqs, url)
    server.advance(31)
    (second,) = receive(sqs, url)
    old, new = first["ReceiptHandle"], second["ReceiptHandle"]
    assert old != new
    # standard queue: deleting with an outdated handle succeeds but deletes nothing
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    assert counters(sqs, url) == (0, 1, 0)
    # ...while changing the visibility with it acts on the current receive, as AWS does
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=5)
    assert counters(sqs, url) == (0, 1, 0)
    # a handle is bound to its queue
    code, _, message = error_of(sqs.delete_message, QueueUrl=other, ReceiptHandle=new)
    assert code == "ReceiptHandleIsInvalid"
    assert message == f'The input receipt handle "{new}" is not a valid receipt handle.'
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new)
    assert counters(sqs, url) == (0, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new)  # deleting again is harmless
    for forged in ("garbage", new[:-2], new + "A", new.replace("_", "-")):
        if forged == new:
            continue
        code, _, _ = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle=forged)
        assert code == "ReceiptHandleIsInvalid", forged
    result = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "gone", "ReceiptHandle": new}, {"Id": "forged", "ReceiptHandle": "xyz"}]
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["gone"]
    assert [(entry["Id"], entry["Code"]) for entry in result["Failed"]] == [
        ("forged", "ReceiptHandleIsInvalid")
    ]
    server.advance(60)
    assert receive(sqs, url) == []


def test_delete_message_batch(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "delete-batch")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(5)])
    messages = receive(sqs, url)
    keep = messages[0]
    result = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:])],
    )
    assert len(result["Successful"]) == 4 and result.get("Failed", []) == []
    server.advance(31)
    assert [m["MessageId"] for m in receive(sqs, url)] == [keep["MessageId"]]


# --- delays --------------------------------------------------------------------------------------


def test_per_message_delay(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "delay")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=10)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    assert [m["Body"] for m in receive(sqs, url)] == ["now"]
    assert counters(sqs, url) == (0, 1, 1)
    server.advance(9)
    assert receive(sqs, url) == []
    server.advance(1.5)
    assert [m["Body"] for m in receive(sqs, url)] == ["later"]
    code, _, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="b", DelaySeconds=901)
    assert code == "InvalidParameterValue"
    assert (
        message
        == "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
    )


def test_queue_delay(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "queue-delay", DelaySeconds="20")
    sqs.send_message(QueueUrl=url, MessageBody="queue default")
    sqs.send_message(QueueUrl=url, MessageBody="overridden", DelaySeconds=0)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "batched default"}])
    assert [m["Body"] for m in receive(sqs, url)] == ["overridden"]
    assert counters(sqs, url) == (0, 1, 2)
    # a standard queue's new delay does not change messages already sent
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    assert receive(sqs, url) == []
    server.advance(20.5)
    assert sorted(m["Body"] for m in receive(sqs, url)) == ["batched default", "queue default"]


# --- retention -----------------------------------------------------------------------------------


def test_retention_is_enforced(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "retention", MessageRetentionPeriod="60")
    sqs.send_message(QueueUrl=url, MessageBody="old")
    server.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    server.advance(31)
    assert counters(sqs, url) == (1, 0, 0)
    (young,) = receive(sqs, url, VisibilityTimeout=100)
    assert young["Body"] == "young"
    server.advance(30)  # retention runs out while it is in flight
    assert counters(sqs, url) == (0, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=young["ReceiptHandle"])  # gone: succeeds, no-op
    server.advance(100)
    assert receive(sqs, url) == []


def test_shorter_retention_applies_to_existing_messages(sqs: Any, server: Server) -> None:
    url = make_queue(sqs, "retention-change")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    server.advance(120)
    assert counters(sqs, url) == (1, 0, 0)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    assert counters(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []


# --- long polling --------------------------------------------------------------------------------


def _poll_in_thread(endpoint: str, url: str, **params: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """A receive on its own client and thread; `out` gets the messages and when it returned."""
    client = client_for(endpoint, "sqs")
    out: dict[str, Any] = {}

    def run() -> None:
        out["messages"] = client.receive_message(QueueUrl=url, **params).get("Messages", [])
        out["returned"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    out["started"] = time.monotonic()
    thread.start()
    return thread, out


def test_long_poll_returns_the_moment_a_message_is_sent(sqs: Any, endpoint: str) -> None:
    url = make_queue(sqs, "long-poll")
    thread, out = _poll_in_thread(endpoint, url, WaitTimeSeconds=20)
    time.sleep(0.3)  # the scenario: the poll is parked when the message arrives
    assert thread.is_alive()  # waiting, not answered empty
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    sent = time.monotonic()
    thread.join(5)
    assert not thread.is_alive()
    assert [m["Body"] for m in out["messages"]] == ["wake up"]
    assert out["returned"] - sent < 1.0  # at once, not at the 20 s deadline
    assert out["returned"] - out["started"] < 3


def test_long_poll_returns_empty_at_the_deadline(sqs: Any, endpoint: str, server: Server) -> None:
    url = make_queue(sqs, "long-poll-empty", ReceiveMessageWaitTimeSeconds="1")
    started = time.monotonic()
    assert receive(sqs, url) == []  # the queue's 1 s wait applies when the request names none
    assert 0.9 <= time.monotonic() - started < 3
    # a 20 s poll ends when the test clock passes its deadline
    thread, out = _poll_in_thread(endpoint, url, WaitTimeSeconds=20)
    time.sleep(0.3)
    assert thread.is_alive()
    server.advance(20)
    thread.join(5)
    assert not thread.is_alive()
    assert out["messages"] == []
    assert out["returned"] - out["started"] < 3


def test_long_poll_wakes_when_a_delayed_message_is_due(sqs: Any, endpoint: str, server: Server) -> None:
    url = make_queue(sqs, "long-poll-delay")
    sqs.send_message(QueueUrl=url, MessageBody="due soon", DelaySeconds=10)
    thread, out = _poll_in_thread(endpoint, url, WaitTimeSeconds=20)
    time.sleep(0.3)
    assert thread.is_alive()
    server.advance(10)
    thread.join(5)
    assert [m["Body"] for m in out["messages"]] == ["due soon"]


def test_receive_parameter_ranges(sqs: Any) -> None:
    url = make_queue(sqs, "ranges")
    for params in ({"MaxNumberOfMessages": 0}, {"MaxNumberOfMessages": 11}, {"WaitTimeSeconds": 21},
                   {"VisibilityTimeout": 43_201}):  # fmt: skip
        code, _, _ = error_of(sqs.receive_message, QueueUrl=url, **params)
        assert code == "InvalidParameterValue", params


def test_receive_returns_at_most_max_number(sqs: Any) -> None:
    url = make_queue(sqs, "max-number")
    for start in range(0, 25, 5):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(start, start + 5)]
        )
    assert len(receive(sqs, url, count=1)) == 1
    assert len(receive(sqs, url, count=10)) == 10
    assert len(receive(sqs, url, count=10)) == 10
    assert len(receive(sqs, url, count=10)) == 4
    assert counters(sqs, url) == (0, 25, 0)


def test_sender_id_is_the_sending_account(sqs: Any, endpoint: str) -> None:
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    other = client_for(endpoint, "sqs", access_key="111111111111", secret_key="x")  # its own account
    other.send_message(QueueUrl=url, MessageBody="from another account")
    sqs.send_message(QueueUrl=url, MessageBody="from the owner")
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["SenderId"]
    )
    senders = {m["Body"]: m["Attributes"]["SenderId"] for m in received["Messages"]}
    assert senders == {"from another account": "111111111111", "from the owner": "000000000000"}
