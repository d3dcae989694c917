"""How a mapping invokes its function: the functions core's synchronous path (RequestResponse),
admitted against the function's concurrency like any other invoke; a throttled or not yet Active
function is waited for, as Lambda's pollers back off, rather than counted as a function error.
So is a deleted one: DeleteFunction leaves its mappings (Lambda's documentation: delete them with
DeleteEventSourceMapping), which hold their records and deliver them if the function comes back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from headwater.protocol.errors import AwsError
from headwater.services.functions.invocation import Invocation, Outcome, error_payload
from headwater.services.functions.mappings.record import NO_FUNCTION
from headwater.services.functions.service import FunctionsCore

THROTTLE_BACKOFF_S = 0.05
THROTTLE_BACKOFF_MAX_S = 1.0
MISSING_WAIT_S = 0.5


async def call(
    core: FunctionsCore,
    function_key: str,
    payload: bytes,
    note: Callable[[str, str], Awaitable[None]] | None = None,
    mapping: str = "",
    stopping: Callable[[], bool] = lambda: False,
) -> Outcome:
    """The function's answer to `payload`; while the function does not exist, waits (and notes
    the mapping's LastProcessingResult). A poller that is stopping (`stopping()`) does not wait for
    a function that cannot run: the call is cancelled and its batch comes again on resume."""
    backoff = THROTTLE_BACKOFF_S
    while True:
        if stopping():
            raise asyncio.CancelledError
        record = core.functions.get(function_key)
        if record is None:
            if note is None:
                return Outcome(
                    error_payload("ResourceNotFoundException", "Function not found"),
                    "ResourceNotFoundException",
                )
            await note(mapping, NO_FUNCTION)
            await asyncio.sleep(MISSING_WAIT_S)
            continue
        if record.state != "Active":
            await asyncio.sleep(backoff)
            continue
        try:
            core.concurrency.admit(record.key)
        except AwsError:  # throttled: wait for a slot, as the pollers do
            await asyncio.sleep(backoff)
            backoff = min(THROTTLE_BACKOFF_MAX_S, backoff * 2)
            continue
        invocation = Invocation(payload, record.arn, record.timeout)
        digits = uuid.uuid4().hex
        invocation.trace_id = f"Root=1-{digits[:8]}-{digits[8:32]};Parent={digits[:16]};Sampled=0"
        result = await core.invoker.invoke(record, invocation)
        return result.outcome


def role_of(core: FunctionsCore, function_key: str) -> str:
    record = core.functions.get(function_key)
    return record.role if record is not None else ""
