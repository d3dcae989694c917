"""The rules engine as a part of the iot service: the rule store, the runtime (the broker's tap),
the outboxes and the targets, started and closed together. It also answers the dry run (the
`IotRulesDebugger` port) and sends destinations' confirmation requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import httpx

from headwater.services.base import Host, local_name
from headwater.services.iot.contracts import InboundPublish
from headwater.services.iot.registry.tags import TagStore
from headwater.services.iot.rules.actions import Render
from headwater.services.iot.rules.model import Destination, Doc, TopicRule, action_kind, invalid
from headwater.services.iot.rules.outbox import Outboxes
from headwater.services.iot.rules.runtime import RulesRuntime
from headwater.services.iot.rules.sql import compile_statement, render
from headwater.services.iot.rules.store import Compile, RuleStore
from headwater.services.iot.rules.targets import Republish, Targets

log = logging.getLogger("headwater.services.iot.rules")


class RulesPart:
    def __init__(
        self,
        host: Host,
        republish: Republish | None,
        compile_sql: Compile = compile_statement,
        render_template: Render = render,
    ) -> None:
        self.clock = host.clock
        self.config = host.config
        self.default_account = host.config.account_id
        self.default_region = host.config.region
        self.compile_sql = compile_sql
        self.store = RuleStore(host.engine.meta, compile_sql)
        self.targets = Targets(host.ports, self.store, republish, host.clock, host.config)
        queues = host.engine.queues
        self.runtime = RulesRuntime(
            self.store,
            lambda runtime: Outboxes(queues, host.clock, runtime.deliver, runtime.exhausted),
            self.targets,
            host.clock,
            host.metrics,
            lambda: render_template,
        )
        self._confirmations: set[asyncio.Task[None]] = set()
        self.tags: TagStore | None = None  # the registry's tag store, wired by the core

    def now(self) -> float:
        return self.clock.now_ms() / 1000

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.store.load()
        await self.runtime.outboxes.start()

    async def close(self) -> None:
        await self.runtime.direct.close()  # what direct delivery refuses still reaches the outboxes
        await self.runtime.gathering.close()  # gathered error messages being stored
        await self.runtime.outboxes.close()
        for task in list(self._confirmations):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.targets.close()

    async def reset(self) -> None:
        self.store.clear()
        self.runtime.gathering.forget()
        self.runtime.counts.clear()
        await self.runtime.outboxes.reset()

    def inventory(self) -> dict[str, list[str]]:
        """What `headwater ls` lists: the topic rules."""
        config = self.config
        rules = [rule for table in self.store.rules.values() for rule in table.values()]
        return {"iot topic rules": sorted(local_name(config, r.account, r.region, r.name) for r in rules)}

    # --- checks and destinations ------------------------------------------------------------------

    def check_destinations(self, rule: TopicRule) -> None:
        """An http action needs a destination for its confirmation URL (a templated URL names one)."""
        actions = rule.actions + ([rule.error_action] if rule.error_action else [])
        for action in actions:
            if action_kind(action) != "http":
                continue
            spec = action["http"]
            confirmation = str(spec.get("confirmationUrl") or spec.get("url") or "")
            if "${" in confirmation:
                raise invalid(
                    "The http action's confirmationUrl is required when its url has substitution templates."
                )
            if self.store.destination_for(rule.account, rule.region, confirmation) is None:
                raise invalid(f"No topic rule destination exists for the confirmation URL {confirmation}.")

    def send_confirmation(self, destination: Destination, enable_url: str) -> None:
        task = asyncio.get_running_loop().create_task(self._confirm(destination, enable_url))
        self._confirmations.add(task)
        task.add_done_callback(self._confirmations.discard)

    async def _confirm(self, destination: Destination, enable_url: str) -> None:
        body = {
            "arn": destination.arn,
            "confirmationToken": destination.token,
            "enableUrl": enable_url,
            "messageType": "DestinationConfirmation",
        }
        try:
            answer = await self.targets.http().post(destination.confirmation_url, json=body)
            problem = None if answer.status_code < 300 else f"the URL answered HTTP {answer.status_code}"
        except httpx.HTTPError as error:
            problem = f"the confirmation request failed: {type(error).__name__}"
        if problem is not None and destination.status == "IN_PROGRESS":
            log.warning("topic rule destination %s: %s", destination.arn, problem)
            destination.reason = problem
            await self.store.put_destination(destination)

    # --- IotRulesDebugger -------------------------------------------------------------------------

    def dry_run(
        self,
        account: str | None,
        region: str | None,
        rule: str,
        topic: str,
        payload: bytes,
        client_id: str | None,
    ) -> dict[str, Any] | None:
        account = account or self.default_account
        region = region or self.default_region
        found = self.store.get(account, region, rule)
        if found is None:
            return None
        inbound = InboundPublish(
            account, region, topic, payload, 0, False, client_id, None, self.clock.now_ms()
        )
        answer: Doc = self.runtime.dry_run(found, inbound)
        json.dumps(answer)  # the admin route answers it as JSON: fail here, not there
        return answer
