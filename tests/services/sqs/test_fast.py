"""The SQS fast paths decode and encode exactly as the generic model-driven codec does."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from headwater.protocol import json_codec
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.services.sqs import fast

URL = "http://localhost:4566/123456789012/q"
ATTRS = {
    "s": {"DataType": "String", "StringValue": "é\r\n"},
    "n": {"DataType": "Number.float", "StringValue": "1.5"},
    "b": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\xff").decode()},
}
CHECKS = {
    "SendMessage": fast._send_message,
    "SendMessageBatch": fast._send_batch,
    "ReceiveMessage": fast._receive,
    "DeleteMessage": fast._handle,
    "DeleteMessageBatch": fast._delete_batch,
}

VALID = [
    ("SendMessage", {"QueueUrl": URL, "MessageBody": "hi"}),
    ("SendMessage", {"QueueUrl": URL, "MessageBody": "hi", "DelaySeconds": 3, "MessageAttributes": ATTRS}),
    (
        "SendMessage",
        {"QueueUrl": URL, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
    ),
    (
        "SendMessage",
        {
            "QueueUrl": URL,
            "MessageBody": "x",
            "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
        },
    ),
    (
        "SendMessageBatch",
        {
            "QueueUrl": URL,
            "Entries": [
                {"Id": "a", "MessageBody": "1"},
                {"Id": "b", "MessageBody": "2", "MessageAttributes": ATTRS},
            ],
        },
    ),
    ("SendMessageBatch", {"QueueUrl": URL, "Entries": []}),
    ("ReceiveMessage", {"QueueUrl": URL}),
    (
        "ReceiveMessage",
        {
            "QueueUrl": URL,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 5,
            "WaitTimeSeconds": 1,
            "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["SentTimestamp"],
            "MessageAttributeNames": ["a.*"],
            "ReceiveRequestAttemptId": "x",
        },
    ),
    ("DeleteMessage", {"QueueUrl": URL, "ReceiptHandle": "abc"}),
    ("DeleteMessageBatch", {"QueueUrl": URL, "Entries": [{"Id": "1", "ReceiptHandle": "h"}]}),
]

INVALID = [
    ("SendMessage", {"QueueUrl": URL}),
    ("SendMessage", {"MessageBody": "x"}),
    ("SendMessage", {"QueueUrl": URL, "MessageBody": 5}),
    ("SendMessage", {"QueueUrl": URL, "MessageBody": "x", "DelaySeconds": "3"}),
    (
        "SendMessage",
        {
            "QueueUrl": URL,
            "MessageBody": "x",
            "MessageAttributes": {"b": {"DataType": "Binary", "BinaryValue": "!!"}},
        },
    ),
    ("SendMessageBatch", {"QueueUrl": URL}),
    ("SendMessageBatch", {"QueueUrl": URL, "Entries": {"Id": "a"}}),
    ("ReceiveMessage", {"QueueUrl": URL, "MaxNumberOfMessages": "ten"}),
    ("ReceiveMessage", {"QueueUrl": URL, "AttributeNames": "All"}),
    ("DeleteMessage", {"QueueUrl": URL}),
    ("DeleteMessageBatch", {"QueueUrl": 7, "Entries": []}),
]


def _outcome(call: Any) -> Any:
    try:
        return ("ok", call())
    except AwsError as error:
        return ("error", error.code, error.message, error.status)


@pytest.mark.parametrize(("operation", "params"), VALID + INVALID)
def test_fast_decode_matches_generic(operation: str, params: dict[str, Any]) -> None:
    body = json.dumps(params).encode()
    fast_result = _outcome(lambda: fast._parse(operation, CHECKS[operation], body))
    generic_result = _outcome(lambda: fast.generic(operation, body))
    assert fast_result == generic_result


def test_fast_decode_falls_back_on_bad_json() -> None:
    unpaired = b'{"QueueUrl": "q", "MessageBody": "a", "MessageGroupId": "\\ud800"}'
    nan = b'{"QueueUrl": "q", "MessageBody": "a", "DelaySeconds": NaN}'
    # orjson reads integers beyond 64 bits as floats: the type checks send them to the generic codec
    huge = b'{"QueueUrl": "q", "MessageBody": "a", "DelaySeconds": 99999999999999999999}'
    negative = b'{"QueueUrl": "q", "MessageBody": "a", "DelaySeconds": -9223372036854775809}'
    bom = b'\xef\xbb\xbf{"QueueUrl": "q", "MessageBody": "a"}'
    for body in (b"", b"[]", b"{", b'"x"', unpaired, nan, huge, negative, bom, b"\xff"):
        fast_result = _outcome(lambda b=body: fast._parse("SendMessage", fast._send_message, b))
        assert fast_result == _outcome(lambda b=body: fast.generic("SendMessage", b))


RESULTS = [
    ("SendMessage", {"MD5OfMessageBody": "m", "MessageId": "i", "SequenceNumber": "1"}),
    (
        "SendMessageBatch",
        {
            "Successful": [
                {"Id": "a", "MessageId": "i", "MD5OfMessageBody": "m", "MD5OfMessageAttributes": "n"}
            ],
            "Failed": [{"Id": "b", "SenderFault": True, "Code": "InvalidParameterValue", "Message": "no"}],
        },
    ),
    ("ReceiveMessage", {}),
    (
        "ReceiveMessage",
        {
            "Messages": [
                {
                    "MessageId": "i",
                    "ReceiptHandle": "h",
                    "MD5OfBody": "m",
                    "Body": 'é\r\n"',
                    "Attributes": {"SentTimestamp": "1"},
                    "MD5OfMessageAttributes": "a",
                    "MessageAttributes": {
                        "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                        "s": {"DataType": "String", "StringValue": "v"},
                    },
                }
            ]
        },
    ),
    ("DeleteMessage", {}),
    ("DeleteMessageBatch", {"Successful": [{"Id": "1"}], "Failed": []}),
    # an error entry echoing a lone surrogate from the request (JSON's "\ud800")
    (
        "DeleteMessageBatch",
        {"Successful": [], "Failed": [{"Id": "1", "SenderFault": True, "Code": "C", "Message": "\ud800"}]},
    ),
]


@pytest.mark.parametrize(("operation", "result"), RESULTS)
def test_fast_encode_matches_generic(operation: str, result: dict[str, Any]) -> None:
    op = operation_model("sqs", operation)
    generic = json_codec.serialize_response(op, result)
    if op.output_shape is None:
        assert generic == b""  # the fast path answers b"" for these too (see sqs_fast_paths)
        return
    fast_encoded = json_codec.dumps(fast._encode_binary(copy.deepcopy(result)))
    assert json.loads(fast_encoded) == json.loads(generic)


def test_fast_encode_leaves_stored_attributes_alone() -> None:
    stored = {"b": {"DataType": "Binary", "BinaryValue": b"\x01"}}
    result = {"Messages": [{"MessageId": "i", "MessageAttributes": stored}]}
    encoded = fast._encode_binary(result)
    assert encoded["Messages"][0]["MessageAttributes"]["b"]["BinaryValue"] == "AQ=="
    assert stored == {"b": {"DataType": "Binary", "BinaryValue": b"\x01"}}  # the message's own dict
