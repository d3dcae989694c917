"""Where an asynchronous invocation's outcome goes: the OnSuccess/OnFailure destinations (an SQS
queue through the `QueueSink` port, or another function's event queue) with AWS's destination
record, and the function's dead-letter queue (the event itself, with RequestID, ErrorCode and
ErrorMessage attributes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from headwater.services.functions.record import LATEST
from headwater.services.ports import DeliveryError, QueueSink

log = logging.getLogger("headwater.services.functions")
SUCCESS, RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED = "Success", "RetriesExhausted", "EventAgeExceeded"
# (function ARN, payload) -> queued as an Event invoke of that function
FunctionTarget = Callable[[str, bytes], Awaitable[None]]


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def destination_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invocations: int,
    request: bytes,
    response: bytes | None,
    function_error: str | None,
    now_s: float,
    executed_version: str = LATEST,
) -> bytes:
    """AWS's destination record; `function_arn` is the ARN as invoked, qualified ($LATEST, a
    version or an alias), `executed_version` the version that ran."""
    moment = datetime.fromtimestamp(now_s, UTC)
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "requestPayload": _json_or_text(request),
    }
    if invocations:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
        if function_error:
            context["functionError"] = function_error
        record["responseContext"] = context
        if response is not None:
            record["responsePayload"] = _json_or_text(response)
    return json.dumps(record).encode()


async def send(sink: QueueSink | None, to_function: FunctionTarget, arn: str, body: bytes) -> None:
    """Delivers a destination record; a destination that refuses it is logged (Lambda drops it)."""
    try:
        if ":sqs:" in arn:
            if sink is None:
                raise DeliveryError("ServiceUnavailable", "SQS is not running")
            await sink.deliver(arn, body.decode())
        else:
            await to_function(arn, body)
    except Exception as exc:
        log.warning("could not deliver an async invocation's outcome to %s: %s", arn, exc)


async def dead_letter(
    sink: QueueSink | None, arn: str, payload: bytes, request_id: str, error_message: str
) -> None:
    """The event to the function's DLQ, as Lambda sends it (SQS targets)."""
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message[:1024] or "Unhandled"},
    }
    try:
        if sink is None or ":sqs:" not in arn:
            raise DeliveryError("InvalidTarget", f"{arn} is not a queue Headwater runs")
        await sink.deliver(arn, payload.decode(errors="replace"), attributes=attributes)
    except Exception as exc:
        log.warning("could not deliver an event to the dead-letter queue %s: %s", arn, exc)
