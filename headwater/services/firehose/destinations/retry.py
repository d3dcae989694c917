"""What every non-S3 destination shares: AWS's retry schedule and the failure documents' extras.

Theory of operation
-------------------
A destination attempts a request; when the attempt fails in a retryable way it waits and tries
again until `RetryOptions.DurationInSeconds` has passed since the first failure, then gives the
records back as `Failure`s for fh-core to write under the error output prefix (or the S3 backup).
The wait follows AWS's HTTP endpoint schedule: 1 s, doubled after every failure, +-15 % jitter,
capped at 120 s, and never past the deadline. Every wait goes through the injected clock, so a
TestClock advanced by a test drives the schedule without real sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.runtime.clock import Clock
from headwater.services.firehose.records import Failure

AttemptReport = Callable[[str, str], Awaitable[None]]  # (errorCode, errorMessage) of one failed attempt
FIRST_DELAY = 1.0
MAX_DELAY = 120.0
JITTER = 0.15


@dataclass(frozen=True, slots=True)
class DestinationFailure(Failure):
    """A failure whose error document carries fields beyond the common ones (OpenSearch's
    esDocumentId/esIndexName/esTypeName, Splunk's EventId...): `document` is merged into the JSON
    document fh-core writes for it."""

    document: Mapping[str, Any] = field(default_factory=dict)


class ReportsAttempts:
    """A destination that tells of every failed attempt, not only of the records it gives up on:
    AWS writes an error log event per failed attempt, so a destination that is down shows in the
    log while its records are still being retried. fh-core sets `report` before each delivery."""

    report: AttemptReport | None = None

    async def attempt_failed(self, code: str, message: str) -> None:
        if self.report is not None:
            await self.report(code, message)


def retry_duration(config: Mapping[str, Any], default: int) -> float:
    """`RetryOptions.DurationInSeconds`, or the destination's default when it is absent."""
    options = config.get("RetryOptions") or {}
    value = options.get("DurationInSeconds", default)
    return float(value if isinstance(value, int) and value >= 0 else default)


class Backoff:
    """One delivery's retry budget: `await wait()` after each failed attempt returns False once
    the budget is spent (the caller then gives up), True after sleeping the next delay."""

    def __init__(self, clock: Clock, duration: float, rng: random.Random | None = None) -> None:
        self.clock = clock
        self.duration = duration
        self.rng = rng or random.Random()
        self.attempts = 1
        self._deadline: float | None = None
        self._delay = FIRST_DELAY

    def next_delay(self) -> float:
        delay = min(self._delay, MAX_DELAY) * self.rng.uniform(1 - JITTER, 1 + JITTER)
        self._delay = min(self._delay * 2, MAX_DELAY)
        return delay

    def exclude(self, seconds: float) -> None:
        """Moves the deadline by time that does not count against the budget (Splunk's
        acknowledgement waits)."""
        if self._deadline is not None:
            self._deadline += seconds

    async def wait(self) -> bool:
        now = self.clock.now()
        if self._deadline is None:  # the duration starts at the first failure, as AWS's does
            self._deadline = now + self.duration
        remaining = self._deadline - now
        if remaining <= 0:
            return False
        await self.clock.sleep(min(self.next_delay(), remaining))
        self.attempts += 1
        return True
