"""Invoke: RequestResponse, Event and DryRun, with Lambda's payload limits, headers and errors.

A synchronous invoke answers 200 with the function's payload; a function error adds
X-Amz-Function-Error: Unhandled (the runtime reported it) and the error document as the payload.
LogType=Tail returns the last 4 KB of the invocation's log, base64, in X-Amz-Log-Result. An Event
invoke is accepted (202) and runs in the background, retried while throttled (a durable queue with
AWS's retries and destinations is still to come).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.functions.invocation import Invocation
from headwater.services.functions.names import function_name
from headwater.services.functions.record import LATEST, FunctionRecord
from headwater.services.functions.service import FunctionsCore

log = logging.getLogger("headwater.services.functions")
SYNC_LIMIT = 6 * 1024 * 1024
ASYNC_LIMIT = 1024 * 1024
EVENT_RETRY_S = 0.5
EVENT_MAX_WAIT_S = 6 * 3600


async def invoke(core: FunctionsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name, qualifier = function_name(params["FunctionName"], params.get("Qualifier"))
    record = core.get(ctx.account, ctx.region, name)
    if qualifier not in (None, LATEST):
        raise errors.not_found(f"{record.arn}:{qualifier}")
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
        core.background(_run_event(core, record, payload, context))
        return {"StatusCode": 202}
    core.concurrency.admit(record.key)
    invocation = Invocation(payload, record.arn, record.timeout, client_context=context)
    invocation.trace_id = _trace_id(invocation.request_id)
    tail = params.get("LogType") == "Tail"
    result = await core.invoker.invoke(record, invocation, tail=tail)
    answer: dict[str, Any] = {"StatusCode": 200, "Payload": result.outcome.payload, "ExecutedVersion": LATEST}
    if result.outcome.failed:
        answer["FunctionError"] = "Unhandled"
    if tail:
        answer["LogResult"] = base64.b64encode(result.log_tail.encode()).decode()
    return answer


async def _run_event(
    core: FunctionsCore, record: FunctionRecord, payload: bytes, context: str | None
) -> None:
    waited = 0.0
    while True:
        current = core.functions.get(record.key)
        if current is None:
            return  # the function was deleted meanwhile
        try:
            core.concurrency.admit(current.key)
        except AwsError:
            if waited > EVENT_MAX_WAIT_S:
                log.warning("dropping an event for %s: throttled for too long", record.name)
                return
            await asyncio.sleep(EVENT_RETRY_S)
            waited += EVENT_RETRY_S
            continue
        invocation = Invocation(payload, current.arn, current.timeout, client_context=context)
        invocation.trace_id = _trace_id(invocation.request_id)
        try:
            await core.invoker.invoke(current, invocation, tail=False)
        except Exception:
            log.exception("an event invoke of %s failed", record.name)
        return


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
