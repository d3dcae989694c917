"""Invoke: RequestResponse, Event and DryRun, with Lambda's payload limits, headers and errors.

A synchronous invoke answers 200 with the function's payload; a function error adds
X-Amz-Function-Error: Unhandled (the runtime reported it) and the error document as the payload.
LogType=Tail returns the last 4 KB of the invocation's log, base64, in X-Amz-Log-Result. An Event
invoke is accepted (202) once it is in the function's durable event queue (event_queue.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.invocation import Invocation
from headwater.services.functions.qualifiers import qualifier_of
from headwater.services.functions.service import FunctionsCore
from headwater.services.functions.versions import resolve

log = logging.getLogger("headwater.services.functions")
SYNC_LIMIT = 6 * 1024 * 1024
ASYNC_LIMIT = 1024 * 1024


async def invoke(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    record, invoked_arn = resolve(
        core, ctx.account, ctx.region, params["FunctionName"], params.get("Qualifier"), routed=True
    )
    kind = params.get("InvocationType", "RequestResponse")
    payload = bytes(params.get("Payload") or b"")
    if kind == "Event" and len(payload) > ASYNC_LIMIT:
        raise errors.too_large_request(ASYNC_LIMIT, "InvokeAsync")
    if len(payload) > SYNC_LIMIT:
        raise errors.too_large_request(SYNC_LIMIT)
    if record.state != "Active":
        raise errors.not_active(record.state)
    if payload:
        try:
            json.loads(payload)
        except ValueError:
            raise AwsError(
                "InvalidRequestContentException",
                "Could not parse request body into json: Could not parse payload into json",
                400,
                details=errors.USER,
            ) from None
    else:
        payload = b"{}"
    context = _client_context(params.get("ClientContext"))
    if kind == "DryRun":
        return {"StatusCode": 204}
    if kind == "Event":
        # durable before the 202; the invoked qualifier's EventInvokeConfig applies to it
        await core.events.enqueue(record, payload, context, qualifier_of(invoked_arn))
        return {"StatusCode": 202}
    core.concurrency.admit(record.key)
    invocation = Invocation(payload, invoked_arn, record.timeout, client_context=context)
    invocation.trace_id = _trace_id(invocation.request_id)
    tail = params.get("LogType") == "Tail"
    result = await core.invoker.invoke(record, invocation, tail=tail)
    answer: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": result.outcome.payload,
        "ExecutedVersion": record.version,
    }
    if result.outcome.failed:
        answer["FunctionError"] = "Unhandled"
    if tail:
        answer["LogResult"] = base64.b64encode(result.log_tail.encode()).decode()
    return answer


def _client_context(value: str | None) -> str | None:
    if not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
        json.loads(decoded)
    except (binascii.Error, ValueError):
        raise AwsError(
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
            400,
            details=errors.USER,
        ) from None
    return decoded


def _trace_id(request_id: str) -> str:
    digits = request_id.replace("-", "")
    return f"Root=1-{digits[:8]}-{digits[8:32]};Parent={digits[:16]};Sampled=0"
