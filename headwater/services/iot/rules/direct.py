"""Direct delivery: a rule's Kinesis and SQS actions written straight into their target, the outbox
only for what the target refuses.

Theory of operation
-------------------
A Kinesis PutRecords or an SQS send made through the service's port is itself durable when it
returns, so storing the rendered record in the rule's outbox first, then delivering it, then removing
it, writes every message three times for one guarantee. Instead, the deliveries an action gets in one
turn of the event loop are gathered (per rule and action) and, at the end of the turn, sent with ONE
`Targets.deliver_many` (one PutRecords per stream, one write per queue); the tap's awaitable, which
holds the publisher's QoS 1 PUBACK, completes when that call has returned. What the target did not
take (a missing stream, throttling, any error) goes to the action's outbox as a record that already
made its first attempt (retried after the first backoff, then the errorAction, as before), and the
awaitable completes only once that outbox write is durable. So a PUBACK still means the rule's work is
stored, in the target or in the outbox; kill -9 before the PUBACK makes the device publish again (at
least once).

With GATHER sends of an action in flight, its next group waits for one of them to return and grows
meanwhile: under load a send carries many loop turns' messages (fewer, larger engine writes), while a
lone message still goes at the end of its turn.

An action whose outbox still holds records (a target that was failing) is not sent directly: its new
records queue behind the old ones, so a dead target is not retried once per message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from headwater.services.iot.rules import records
from headwater.services.iot.rules.actions import Delivery
from headwater.services.iot.rules.contracts import SqlMessage
from headwater.services.iot.rules.outbox import RETRY_DELAYS_S, Outboxes
from headwater.services.iot.rules.targets import Targets
from headwater.services.ports import DeliveryError

log = logging.getLogger("headwater.services.iot.rules")
KINDS = frozenset({"kinesis", "sqs"})  # targets whose port call is durable when it returns
GATHER = 2  # sends in flight per action before its next group waits

Key = tuple[str, str, str, str]  # (account, region, rule, slot), as the outboxes name it
# (rule, action kind, delivered, failed) once per batch
Count = Callable[[str, str, int, int], None]
# (the messages of the deliveries sent, their outcomes) once per send
Settled = Callable[[list[SqlMessage], list[DeliveryError | None]], None]


@dataclass(slots=True)
class _Group:
    deliveries: list[Delivery] = field(default_factory=list)
    messages: list[SqlMessage] = field(default_factory=list)  # each delivery's (no pair per message)
    done: asyncio.Future[None] | None = None


class DirectDelivery:
    def __init__(
        self, targets: Targets, outboxes: Outboxes, count: Count, alive: Callable[[str, str, str], bool]
    ) -> None:
        self.targets = targets
        self.outboxes = outboxes
        self.count = count
        self.alive = alive  # (account, region, rule): a deleted rule's refused records are dropped
        self._groups: dict[Key, _Group] = {}
        self._in_flight: dict[Key, int] = {}
        self._scheduled = False
        self._sending: set[asyncio.Task[None]] = set()
        self.settled: Settled | None = None  # told each send's outcomes (the errorAction's gathering)

    def eligible(self, kind: str, key: Key) -> bool:
        return kind in KINDS and not self.outboxes.backlogged(key)

    def add(self, key: Key, delivery: Delivery, message: SqlMessage) -> Awaitable[None]:
        """Sends the delivery with the rest of this loop turn's; the awaitable completes once it is
        in its target or, refused, in the outbox."""
        group = self._groups.get(key)
        if group is None:
            loop = asyncio.get_running_loop()
            group = self._groups[key] = _Group(done=loop.create_future())
            self._schedule()
        group.deliveries.append(delivery)
        group.messages.append(message)
        assert group.done is not None
        return group.done

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self, everything: bool = False) -> None:
        self._scheduled = False
        loop = asyncio.get_running_loop()
        for key in list(self._groups):
            if not everything and self._in_flight.get(key, 0) >= GATHER:
                continue  # sent when one of those returns
            group = self._groups.pop(key)
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            task = loop.create_task(self._send(key, group))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _sent(self, key: Key) -> None:
        left = self._in_flight[key] - 1
        if left:
            self._in_flight[key] = left
        else:
            del self._in_flight[key]
        if key in self._groups:
            self._schedule()

    async def _send(self, key: Key, group: _Group) -> None:
        account, region, rule, slot = key
        done = group.done
        assert done is not None
        deliveries = group.deliveries
        try:
            try:
                outcomes = await self.targets.deliver_many(account, region, rule, deliveries)
            except Exception as error:  # a target's bug: the outbox retries them all
                log.exception("rule %s: direct delivery failed unexpectedly", rule)
                outcomes = [DeliveryError("InternalFailure", str(error))] * len(deliveries)
            if self.settled is not None:
                self.settled(group.messages, outcomes)
            failed = [
                (delivery, message)
                for delivery, message, outcome in zip(deliveries, group.messages, outcomes, strict=True)
                if outcome
            ]
            self.count(rule, deliveries[0].kind, len(deliveries) - len(failed), len(failed))
            if failed and self.alive(account, region, rule):
                delay_ms = RETRY_DELAYS_S[0] * 1000  # the first attempt was this one
                writes = [
                    self.outboxes.add(
                        account,
                        region,
                        rule,
                        slot,
                        records.encode(d, m),
                        (d, m),
                        attempts=1,
                        delay_ms=delay_ms,
                    )
                    for d, m in failed
                ]
                for write in writes:
                    await write
        except BaseException as error:
            if not done.done():
                done.set_exception(error)
            raise
        finally:
            self._sent(key)
        if not done.done():
            done.set_result(None)

    async def close(self) -> None:
        """Sends what is gathered and waits for every send in progress."""
        self._flush(everything=True)
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)
