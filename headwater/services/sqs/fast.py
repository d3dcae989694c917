"""Hand-tuned JSON codecs for SQS's hot operations: send, receive, delete (single and batch).

The generic codec walks the model's shapes for every value; these decode with `json.loads`, check
the few types the operation uses, and encode with `json_codec.dumps`, then call the very same service
functions. Anything they do not expect (a wrong type, a missing required member, a bad base64
blob) goes to the generic codec, so errors are the generic path's exactly.
tests/services/sqs/test_fast.py checks both paths give the same answers on the same inputs.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.protocol import json_codec, request_checks
from headwater.protocol.models import operation_model
from headwater.services.context import RequestContext
from headwater.services.sqs import handles, receive, send
from headwater.services.sqs.service import SqsCore

FastPath = Callable[[bytes, RequestContext], Awaitable[bytes]]
Parser = Callable[[dict[str, Any]], None]  # checks/decodes in place; raises TypeError/KeyError/ValueError

_DECODE_ERRORS = (ValueError, TypeError, KeyError, RecursionError, binascii.Error)


def generic(operation: str, body: bytes) -> dict[str, Any]:
    """What the gateway does for an awsQueryCompatible JSON request."""
    return request_checks.parse_json(operation_model("sqs", operation), body)


def _string(params: dict[str, Any], name: str, *, required: bool = False) -> None:
    value = params.get(name)
    if value is None:
        if required:
            raise KeyError(name)
    elif type(value) is not str:
        raise TypeError(name)


def _integer(params: dict[str, Any], name: str) -> None:
    value = params.get(name)
    if value is not None and type(value) is not int:
        raise TypeError(name)


def _strings(params: dict[str, Any], name: str) -> None:
    values = params.get(name)
    if values is not None and (type(values) is not list or any(type(v) is not str for v in values)):
        raise TypeError(name)


def _attributes(params: dict[str, Any], name: str) -> None:
    """MessageAttributes / MessageSystemAttributes: binary values base64-decoded in place."""
    attributes = params.get(name)
    if attributes is None:
        return
    if type(attributes) is not dict:
        raise TypeError(name)
    for value in attributes.values():
        if type(value) is not dict:
            raise TypeError(name)
        for key, item in value.items():
            if key == "BinaryValue":
                if type(item) is not str:
                    raise TypeError(name)
                value[key] = b64decode(item, validate=True)
            elif key in ("StringListValues", "BinaryListValues"):
                raise TypeError(name)  # rare: the generic codec decodes their blobs
            elif type(item) is not str:
                raise TypeError(name)


def _message(entry: dict[str, Any]) -> None:
    _string(entry, "MessageBody", required=True)
    _integer(entry, "DelaySeconds")
    _string(entry, "MessageGroupId")
    _string(entry, "MessageDeduplicationId")
    _attributes(entry, "MessageAttributes")
    _attributes(entry, "MessageSystemAttributes")


def _entries(params: dict[str, Any], check: Parser) -> None:
    entries = params["Entries"]
    if type(entries) is not list:
        raise TypeError("Entries")
    for entry in entries:
        if type(entry) is not dict:
            raise TypeError("Entries")
        _string(entry, "Id", required=True)
        check(entry)


def _send_message(params: dict[str, Any]) -> None:
    _message(params)


def _send_batch(params: dict[str, Any]) -> None:
    _entries(params, _message)


def _receive(params: dict[str, Any]) -> None:
    for name in ("MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds"):
        _integer(params, name)
    for name in ("AttributeNames", "MessageSystemAttributeNames", "MessageAttributeNames"):
        _strings(params, name)
    _string(params, "ReceiveRequestAttemptId")


def _handle(entry: dict[str, Any]) -> None:
    _string(entry, "ReceiptHandle", required=True)


def _delete_batch(params: dict[str, Any]) -> None:
    _entries(params, _handle)


def _parse(operation: str, check: Parser, body: bytes) -> dict[str, Any]:
    try:
        params = json_codec.loads_checked(body)  # what the generic codec reads, refused alike
        if type(params) is not dict:
            raise TypeError
        _string(params, "QueueUrl", required=True)
        check(params)
    except _DECODE_ERRORS:
        return generic(operation, body)
    return params


def _encode_binary(result: dict[str, Any]) -> dict[str, Any]:
    """Binary attribute values back to base64, as the JSON protocol carries blobs."""
    for message in result.get("Messages", ()):
        attributes = message.get("MessageAttributes")
        if attributes and any("BinaryValue" in value for value in attributes.values()):
            # new dicts: the values are the stored message's own
            message["MessageAttributes"] = {
                name: {**value, "BinaryValue": b64encode(value["BinaryValue"]).decode()}
                if "BinaryValue" in value
                else value
                for name, value in attributes.items()
            }
    return result


def sqs_fast_paths(core: SqsCore) -> dict[tuple[str, str], FastPath]:
    def fast(operation: str, check: Parser, handler: Any, encode: Any = None) -> FastPath:
        no_output = operation_model("sqs", operation).output_shape is None

        async def run(body: bytes, ctx: RequestContext) -> bytes:
            result = await handler(core, _parse(operation, check, body), ctx)
            if no_output:
                return b""  # as the generic codec answers an operation without output
            if encode is not None:
                result = encode(result)
            return json_codec.dumps(result)

        return run

    return {
        ("sqs", "SendMessage"): fast("SendMessage", _send_message, send.send_message),
        ("sqs", "SendMessageBatch"): fast("SendMessageBatch", _send_batch, send.send_message_batch),
        ("sqs", "ReceiveMessage"): fast("ReceiveMessage", _receive, receive.receive_message, _encode_binary),
        ("sqs", "DeleteMessage"): fast("DeleteMessage", _handle, handles.delete_message),
        ("sqs", "DeleteMessageBatch"): fast(
            "DeleteMessageBatch", _delete_batch, handles.delete_message_batch
        ),
    }
