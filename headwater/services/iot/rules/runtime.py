"""The rules engine at work: the broker's `PublishTap` that runs every matching rule on every
accepted PUBLISH, and what happens to a delivery that ran out of retries.

A message reaches a rule when the rule's FROM filter matches its topic, or, for Basic Ingest
(`$aws/rules/<rule>/...`), only the rule it names, with the prefix removed before topic() sees it.
SELECT and WHERE run at once, on the publishing path; each action is rendered and either sent
straight into its target with the rest of the loop turn's (Kinesis and SQS, whose port calls are
durable: `direct.py`; refused records fall back to the outbox) or added to its durable outbox
(`outbox.py`, group-written per loop turn). The tap returns the writes, so a QoS 1 PUBACK means the
rule's work is stored. A rule whose SQL fails on a message (or an action whose templates do) sends the
errorAction at once, as AWS does.

The errorAction's message is AWS's: {ruleName, topic, cloudwatchTraceId, clientId,
base64OriginalPayload, failures: [{failedAction, failedResource, errorMessage}]}, one per (rule,
message): the failures of a message's actions, delivered apart, are gathered until each action is
over (`gathering.py`).

Metrics (namespace AWS/IoT, CloudWatch's names): RulesExecuted and TopicMatch per rule, Success and
Failure per rule and action (added once per delivered batch), ErrorActionSuccess/ErrorActionFailure, ParseError; the gauge
RuleOutboxDepth per rule and slot. TopicMatch and RulesExecuted are counted per message in a plain list
per rule and added to the metrics when they are read (the collector), not per message.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.runtime.clock import SystemClock
from headwater.runtime.metrics import Metrics
from headwater.services.iot.contracts import InboundPublish
from headwater.services.iot.rules import records
from headwater.services.iot.rules.actions import Delivery, Render, RenderError, render_action
from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage, SqlResult
from headwater.services.iot.rules.direct import DirectDelivery
from headwater.services.iot.rules.gathering import Gathering
from headwater.services.iot.rules.model import ACTION_NAMES, Doc, TopicRule, action_kind
from headwater.services.iot.rules.outbox import Outboxes
from headwater.services.iot.rules.store import RuleStore
from headwater.services.iot.rules.targets import MAX_REPUBLISH_HOPS, REPUBLISH_HOPS, Targets
from headwater.services.ports import DeliveryError

log = logging.getLogger("headwater.services.iot.rules")
NS = "IoT"  # rendered as AWS/IoT
RULES_PREFIX = "$aws/rules/"
ERROR_SLOT = "error"
_NO_USER_PROPERTIES: list[tuple[str, str]] = []  # shared: never written to


def error_payload(rule: str, message: SqlMessage, failures: list[Doc]) -> bytes:
    doc = {
        "ruleName": rule,
        "topic": message.topic,
        "cloudwatchTraceId": message.trace_id,
        "clientId": message.client_id or "",
        "base64OriginalPayload": base64.b64encode(message.payload).decode(),
        "failures": failures,
    }
    return json.dumps(doc).encode()


class _Raw:
    """An SqlResult of bytes as they are (the errorAction's message)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def value(self) -> Any:
        return json.loads(self._data)

    def payload(self) -> bytes:
        return self._data


class RulesRuntime:
    def __init__(
        self,
        store: RuleStore,
        outboxes_factory: Callable[[RulesRuntime], Outboxes],
        targets: Targets,
        clock: SystemClock,
        metrics: Metrics,
        render: Callable[[], Render],
    ) -> None:
        self.store = store
        self.targets = targets
        self.clock = clock
        self.metrics = metrics
        self._render = render
        self.env = SqlEnvironment(now_ms=clock.now_ms)
        self.outboxes = outboxes_factory(self)
        self.direct = DirectDelivery(
            targets, self.outboxes, self._count_direct, lambda a, r, n: store.get(a, r, n) is not None
        )
        self.gathering = Gathering(self._emit)  # one error message per message, its failures gathered
        self.direct.settled = self._direct_settled
        metrics.collectors.append(self._collect)
        # rule name -> [TopicMatch, RulesExecuted] not yet in the metrics (see _collect)
        self.counts: dict[str, list[int]] = {}
        # trace ids: a random prefix per process and a counter (uuid4 per message costs ~3 µs)
        p = uuid.uuid4().hex[:20]
        self._trace_head = f"{p[:8]}-{p[8:12]}-{p[12:16]}-{p[16:20]}-"
        self._trace_count = itertools.count()
        self._hops = 0  # the republish hops of the message being run (`_republished`)

    def _trace_id(self) -> str:
        return f"{self._trace_head}{next(self._trace_count) & 0xFFFFFFFFFFFF:012x}"

    # --- PublishTap -------------------------------------------------------------------------------

    def published(self, inbound: InboundPublish) -> Awaitable[None] | None:
        try:
            hops = REPUBLISH_HOPS.get()
            if hops:
                return self._republished(inbound, hops)
            return self._published(inbound)
        except Exception:  # a rule's bug must never break the publisher's connection
            log.exception("rules: a message on %s could not be processed", inbound.topic)
            return None

    def _republished(self, inbound: InboundPublish, hops: int) -> Awaitable[None] | None:
        """A message a rule's republish made: the rules run on it unless it went round too often
        (a republish whose topic its own rule's FROM matches would loop forever)."""
        if hops > MAX_REPUBLISH_HOPS:
            self.metrics.add(NS, "RepublishLoopStopped", ())
            log.warning(
                "rules: %s was republished %d times in a row; its rules do not run again", inbound.topic, hops
            )
            return None
        self._hops = hops
        try:
            return self._published(inbound)
        finally:
            self._hops = 0

    def _published(self, inbound: InboundPublish) -> Awaitable[None] | None:
        topic = inbound.topic
        if topic.startswith(RULES_PREFIX):  # Basic Ingest: the named rule only
            name, _, rest = topic[len(RULES_PREFIX) :].partition("/")
            rule = self.store.get(inbound.account, inbound.region, name)
            if rule is None or rule.disabled or rule.compiled is None:
                return None
            writes = self.run(rule, self.message(inbound, rest, rule.name))
        else:
            writes = []
            for rule in self.store.matching(inbound.account, inbound.region):
                assert rule.compiled is not None
                if rule.compiled.matches(topic):
                    found = self.run(rule, self.message(inbound, topic, rule.name))
                    if found:  # the usual case, one rule: its list as it is
                        writes = found if not writes else writes + found
        if not writes:
            return None
        return writes[0] if len(writes) == 1 else _all(writes)

    def message(self, inbound: InboundPublish, topic: str, rule: str) -> SqlMessage:
        props = inbound.properties
        users = (
            list(props.user_properties)
            if props is not None and props.user_properties
            else _NO_USER_PROPERTIES
        )
        return SqlMessage(
            topic,
            inbound.payload,
            inbound.client_id,
            inbound.principal,
            inbound.timestamp_ms,
            inbound.account,
            inbound.region,
            rule,
            self._trace_id(),
            users,
            props,
            self._hops,
        )

    def run(self, rule: TopicRule, message: SqlMessage) -> list[Awaitable[None]]:
        """Evaluates a rule on a message and stores each action's delivery; the writes."""
        counts = self.counts.get(rule.name)
        if counts is None:
            counts = self.counts[rule.name] = [0, 0]
        counts[0] += 1
        assert rule.compiled is not None
        try:
            result = rule.compiled.evaluate(message, self.env)
        except Exception as error:  # AWS: an evaluation error goes to the errorAction
            self.metrics.add(NS, "ParseError", (("RuleName", rule.name),))
            failure = {"failedAction": "SqlEvaluation", "failedResource": "", "errorMessage": str(error)}
            return self._error_now(rule, message, [failure])
        if result is None:
            return []
        counts[1] += 1
        writes: list[Awaitable[None]] = []
        failures: list[Doc] | None = None
        version, render = rule.compiled.version, self._render()
        for step in rule.steps():
            kind = step.kind
            try:
                delivery = render_action(
                    kind, step.spec, result, message, self.env, version, render, step.templated
                )
            except RenderError as error:
                self.metrics.add(NS, "Failure", (("RuleName", rule.name), ("ActionType", kind)))
                failures = failures or []
                failures.append(
                    {"failedAction": ACTION_NAMES[kind], "failedResource": "", "errorMessage": str(error)}
                )
                continue
            key = step.key
            if self.direct.eligible(kind, key):
                writes.append(self.direct.add(key, delivery, message))
                continue
            record = records.encode(delivery, message)
            writes.append(self.outboxes.add(*key, record, (delivery, message)))
        if len(writes) > 1 and rule.error_action is not None:  # their failures go in one message
            self.gathering.track((rule.account, rule.region, rule.name), message, len(writes))
        if failures:
            writes.extend(self._error_now(rule, message, failures))
        return writes

    # --- delivery (called by the outboxes) --------------------------------------------------------

    async def deliver(
        self, key: tuple[str, str, str, str], batch: list[object]
    ) -> list[DeliveryError | None]:
        account, region, rule, slot = key
        decoded = [_decoded(item, account, region, rule) for item in batch]
        deliveries = [delivery for delivery, _ in decoded]
        outcomes = await self.targets.deliver_many(account, region, rule, deliveries)
        if self.gathering.pending and slot != ERROR_SLOT:
            for (_, message), outcome in zip(decoded, outcomes, strict=True):
                if outcome is None:
                    self.gathering.settled(message.trace_id)
        good, bad = (
            ("ErrorActionSuccess", "ErrorActionFailure") if slot == ERROR_SLOT else ("Success", "Failure")
        )
        counts: dict[tuple[str, str], int] = {}  # one metrics update per kind and outcome, not per record
        for delivery, outcome in zip(deliveries, outcomes, strict=True):
            counted = (bad if outcome is not None else good, delivery.kind)
            counts[counted] = counts.get(counted, 0) + 1
        for (name, kind), count in counts.items():
            self.metrics.add(NS, name, (("RuleName", rule), ("ActionType", kind)), count)
        return outcomes

    def _count_direct(self, rule: str, kind: str, delivered: int, failed: int) -> None:
        labels = (("RuleName", rule), ("ActionType", kind))
        if delivered:
            self.metrics.add(NS, "Success", labels, delivered)
        if failed:
            self.metrics.add(NS, "Failure", labels, failed)

    def _direct_settled(self, messages: list[SqlMessage], outcomes: list[DeliveryError | None]) -> None:
        if self.gathering.pending:
            for message, outcome in zip(messages, outcomes, strict=True):
                if outcome is None:
                    self.gathering.settled(message.trace_id)

    async def exhausted(
        self, key: tuple[str, str, str, str], item: object, error: DeliveryError, release: Callable[[], None]
    ) -> bool:
        """A delivery's last retry failed: its failure joins its message's others (`gathering.py`)
        or, alone, goes to the errorAction now. True: the outbox keeps the record until `release`."""
        account, region, rule_name, slot = key
        delivery, message = _decoded(item, account, region, rule_name)
        if slot == ERROR_SLOT:
            log.warning("rule %s: the errorAction (%s) failed: %s", rule_name, delivery.resource, error)
            return False
        failure = {
            "failedAction": ACTION_NAMES.get(delivery.kind, delivery.kind),
            "failedResource": delivery.resource,
            "errorMessage": f"{error.code}: {error.message}",
        }
        if await self.gathering.failed(message.trace_id, failure, release):
            return True
        for wait in self._emit((account, region, rule_name), message, [failure]):
            await wait
        return False

    def _emit(
        self, key: tuple[str, str, str], message: SqlMessage, failures: list[Doc]
    ) -> list[Awaitable[None]]:
        rule = self.store.get(*key)
        return [] if rule is None else self._error_now(rule, message, failures)

    def _error_now(self, rule: TopicRule, message: SqlMessage, failures: list[Doc]) -> list[Awaitable[None]]:
        action = rule.error_action
        if action is None:
            log.info("rule %s: %s (no errorAction)", rule.name, failures)
            return []
        kind = action_kind(action)
        result: SqlResult = _Raw(error_payload(rule.name, message, failures))
        try:
            delivery = render_action(
                kind, action[kind], result, message, self.env, rule.version, self._render()
            )
        except RenderError as error:
            log.warning("rule %s: the errorAction cannot be rendered: %s", rule.name, error)
            return []
        record = records.encode(delivery, message)
        return [
            self.outboxes.add(rule.account, rule.region, rule.name, ERROR_SLOT, record, (delivery, message))
        ]

    # --- dry run ----------------------------------------------------------------------------------

    def dry_run(self, rule: TopicRule, inbound: InboundPublish) -> Doc:
        """What the rule would do with a message, nothing delivered: the SELECT result and each
        action's rendered request (or why it cannot be made)."""
        topic = inbound.topic
        basic = topic.startswith(f"{RULES_PREFIX}{rule.name}/")
        if basic:
            topic = topic[len(f"{RULES_PREFIX}{rule.name}/") :]
        message = self.message(inbound, topic, rule.name)
        answer: Doc = {"rule": rule.name, "topic": topic, "basicIngest": basic, "ruleDisabled": rule.disabled}
        if rule.compiled is None:
            answer["error"] = "the rule's SQL does not compile"
            return answer
        answer["matches"] = basic or rule.compiled.matches(topic)
        try:
            result = rule.compiled.evaluate(message, self.env)
        except Exception as error:
            answer["error"] = f"SQL evaluation failed: {error}"
            return answer
        if result is None:
            answer["selected"] = False
            return answer
        answer["selected"] = True
        value = result.value
        answer["result"] = (
            {"base64": base64.b64encode(value).decode()} if isinstance(value, bytes | bytearray) else value
        )
        views: list[Doc] = []
        for action in rule.actions:
            kind = action_kind(action)
            try:
                delivery = render_action(
                    kind, action[kind], result, message, self.env, rule.version, self._render()
                )
            except RenderError as error:
                views.append({"action": kind, "error": str(error)})
                continue
            views.append(delivery.view())
        answer["actions"] = views
        return answer

    def forget(self, rule: str) -> None:
        """A deleted rule's series go (another account's rule of that name loses them too: rare)."""
        self.counts.pop(rule, None)
        self.metrics.forget(NS, (("RuleName", rule),))

    def _collect(self, metrics: Metrics) -> None:
        counts, self.counts = self.counts, {}
        for rule, (matched, executed) in counts.items():
            labels = (("RuleName", rule),)
            metrics.add(NS, "TopicMatch", labels, matched)
            if executed:
                metrics.add(NS, "RulesExecuted", labels, executed)
        for (_, _, rule, slot), depth in self.outboxes.depth().items():
            metrics.set(NS, "RuleOutboxDepth", (("RuleName", rule), ("Slot", slot)), depth)


def _decoded(item: object, account: str, region: str, rule: str) -> tuple[Delivery, SqlMessage]:
    """An outbox item: the (delivery, message) a resident record keeps, or a record read back."""
    if isinstance(item, bytes):
        return records.decode(item, account, region, rule)
    return item  # type: ignore[return-value]


async def _all(writes: list[Awaitable[None]]) -> None:
    for write in writes:
        await write
