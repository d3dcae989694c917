"""One invocation on its way through a worker, and the outcomes Lambda reports for it."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

MAX_RESPONSE = 6 * 1024 * 1024
# Lambda's response limit as its error message states it
RESPONSE_LIMIT_TEXT = "6291556"


@dataclass(slots=True)
class Outcome:
    """What the runtime answered: a payload, with `error_type` set when it is an error."""

    payload: bytes
    error_type: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


@dataclass(slots=True)
class Invocation:
    payload: bytes
    function_arn: str
    timeout_s: int
    client_context: str | None = None
    cognito_identity: str | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str = ""
    # made only when no runtime waits for it (a cold start): set when the runtime takes it
    delivered: asyncio.Future[None] | None = None
    deadline_ms: int = 0
    started: float = 0.0  # monotonic, when the runtime took it
    done: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    logs: list[tuple[int, str]] = field(default_factory=list)  # (epoch ms, line)

    def finish(self, outcome: Outcome) -> None:
        if not self.done.done():
            self.done.set_result(outcome)


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def timed_out(request_id: str, timeout_s: float) -> Outcome:
    message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
    return Outcome(error_payload("Sandbox.Timedout", message), "Sandbox.Timedout")


def exited(request_id: str, status: int) -> Outcome:
    how = f"signal: {_signal_name(-status)}" if status < 0 else f"exit status {status}"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {how}"
    return Outcome(error_payload("Runtime.ExitError", message), "Runtime.ExitError")


def too_large() -> Outcome:
    message = f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT_TEXT} bytes)."
    return Outcome(error_payload("Function.ResponseSizeTooLarge", message), "Function.ResponseSizeTooLarge")


def _signal_name(number: int) -> str:
    names = {9: "killed", 15: "terminated", 6: "aborted", 11: "segmentation fault"}
    return names.get(number, f"signal {number}")
