"""One errorAction message per (rule, message), however many of its actions failed, as AWS writes
it: the failures of a message's actions are gathered until every action of that message is over.

Theory of operation
-------------------
A rule's actions are delivered apart (an outbox each, Kinesis and SQS straight into their target
first), so their final outcomes come at different times: a success at once, a failure only when its
retries are exhausted (about 31 s later). When a rule with an errorAction hands a message to two or
more actions, `track` opens a `Pending` for the message (by its trace id, unique per rule run) that
counts the deliveries not yet over. Each success (`settled`) and each exhausted failure (`failed`)
counts one down; a failure's record is kept on disk by its outbox meanwhile (`release` removes it).
When the count reaches zero and something failed, the runtime sends ONE errorAction message listing
every failure, then releases the kept records once that message is stored.

What is not gathered: failures found while rendering the actions (a template that fails) are sent
at once, together, on the publishing path (their error message is part of what the PUBACK waits
for, so it is durable); a message whose rule has one action needs no gathering. After a restart the
pendings are gone: a kept record is tried once more and, failing, sends its own error message (at
least once, never lost); so does any record that reaches its end without a pending. Pendings live
only while a message's deliveries are in progress, but a dead target's backlog can hold many: past
`MAX_PENDING` new messages are not gathered (their failures go alone), so memory stays bounded
whatever the outboxes hold.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from headwater.services.iot.rules.contracts import SqlMessage
from headwater.services.iot.rules.model import Doc

log = logging.getLogger("headwater.services.iot.rules")
MAX_PENDING = 100_000  # messages being gathered at once (each holds its payload)
RuleKey = tuple[str, str, str]  # (account, region, rule)
# (rule key, message, failures) -> the error message's stored writes
Emit = Callable[[RuleKey, SqlMessage, list[Doc]], list[Awaitable[None]]]


@dataclass(slots=True)
class Pending:
    rule: RuleKey
    message: SqlMessage
    left: int  # deliveries not over yet
    failures: list[Doc] = field(default_factory=list)
    releases: list[Callable[[], None]] = field(default_factory=list)


class Gathering:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.pending: dict[str, Pending] = {}  # by trace id
        self._sending: set[asyncio.Task[None]] = set()

    def track(self, rule: RuleKey, message: SqlMessage, deliveries: int) -> None:
        if len(self.pending) < MAX_PENDING:
            self.pending[message.trace_id] = Pending(rule, message, deliveries)

    def settled(self, trace_id: str) -> None:
        """One delivery of the message succeeded."""
        pending = self.pending.get(trace_id)
        if pending is None:
            return
        pending.left -= 1
        if pending.left <= 0:
            del self.pending[trace_id]
            if pending.failures:
                task = asyncio.get_running_loop().create_task(self._send(pending))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def failed(self, trace_id: str, failure: Doc, release: Callable[[], None]) -> bool:
        """One delivery of the message is exhausted. False: no pending (the caller sends the error
        alone); True: gathered (and sent with the others when it was the last)."""
        pending = self.pending.get(trace_id)
        if pending is None:
            return False
        pending.failures.append(failure)
        pending.releases.append(release)
        pending.left -= 1
        if pending.left <= 0:
            del self.pending[trace_id]
            await self._send(pending)
        return True

    async def _send(self, pending: Pending) -> None:
        try:
            for write in self.emit(pending.rule, pending.message, pending.failures):
                await write
        except Exception:  # the kept records stay: a restart sends their errors again
            log.exception("rule %s: the errorAction's message could not be stored", pending.rule[2])
            return
        for release in pending.releases:
            release()

    def forget(self, rule: RuleKey | None = None) -> None:
        """A deleted rule's pendings (every pending: None) go; their kept records went with its
        outboxes."""
        for trace_id, pending in list(self.pending.items()):
            if rule is None or pending.rule == rule:
                del self.pending[trace_id]

    async def close(self) -> None:
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)
