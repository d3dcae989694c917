"""The rules and the HTTP destinations, resident and written to the metadata store before an
operation answers. Rules are few (AWS: 1,000 per account and region); each keeps its compiled SQL,
compiled again at start-up (a rule whose SQL no longer compiles is kept, but never matches)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from headwater.engine.api import MetaStore
from headwater.services.iot.rules.contracts import CompiledSql
from headwater.services.iot.rules.model import Destination, TopicRule

log = logging.getLogger("headwater.services.iot.rules")
RULES = "iot-rules"
DESTINATIONS = "iot-rule-destinations"

Compile = Callable[[str, str], CompiledSql]


class RuleStore:
    def __init__(self, meta: MetaStore, compile_sql: Compile) -> None:
        self.meta = meta
        self.compile_sql = compile_sql
        # (account, region) -> name -> rule
        self.rules: dict[tuple[str, str], dict[str, TopicRule]] = {}
        self.destinations: dict[str, Destination] = {}  # by ARN
        # (account, region) -> its enabled, compiled rules: what every PUBLISH reads; dropped on a change
        self._enabled: dict[tuple[str, str], list[TopicRule]] = {}

    def load(self) -> None:
        self._enabled.clear()
        self.rules.clear()
        self.destinations.clear()
        for key, raw in self.meta.scan(RULES):
            account, region, name = key.split("/", 2)
            rule = TopicRule.decode(account, region, name, raw)
            try:
                rule.compiled = self.compile_sql(rule.sql, rule.version)
            except Exception as error:  # SqlError, or a parser that changed: never a failed start
                log.warning("rule %s: its SQL does not compile (%s); it matches nothing", name, error)
            self.rules.setdefault((account, region), {})[name] = rule
        for _, raw in self.meta.scan(DESTINATIONS):
            destination = Destination.decode(raw)
            self.destinations[destination.arn] = destination

    def clear(self) -> None:
        self._enabled.clear()
        self.rules.clear()
        self.destinations.clear()

    # --- rules ------------------------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> TopicRule | None:
        table = self.rules.get((account, region))
        return table.get(name) if table else None

    def of(self, account: str, region: str) -> list[TopicRule]:
        """The namespace's rules, by name."""
        table = self.rules.get((account, region))
        return [table[name] for name in sorted(table)] if table else []

    def matching(self, account: str, region: str) -> list[TopicRule]:
        """Every enabled rule of the namespace (unsorted: the hot path)."""
        namespace = (account, region)
        found = self._enabled.get(namespace)
        if found is None:
            table = self.rules.get(namespace) or {}
            found = [rule for rule in table.values() if not rule.disabled and rule.compiled is not None]
            self._enabled[namespace] = found
        return found

    async def put(self, rule: TopicRule) -> None:
        self._enabled.pop((rule.account, rule.region), None)
        self.rules.setdefault((rule.account, rule.region), {})[rule.name] = rule
        await self.meta.put(RULES, f"{rule.account}/{rule.region}/{rule.name}", rule.encode())

    async def delete(self, rule: TopicRule) -> None:
        self._enabled.pop((rule.account, rule.region), None)
        self.rules.get((rule.account, rule.region), {}).pop(rule.name, None)
        await self.meta.delete(RULES, f"{rule.account}/{rule.region}/{rule.name}")

    # --- destinations -----------------------------------------------------------------------------

    async def put_destination(self, destination: Destination) -> None:
        self.destinations[destination.arn] = destination
        await self.meta.put(DESTINATIONS, destination.arn, destination.encode())

    async def delete_destination(self, destination: Destination) -> None:
        self.destinations.pop(destination.arn, None)
        await self.meta.delete(DESTINATIONS, destination.arn)

    def destination_for(self, account: str, region: str, url: str) -> Destination | None:
        """The destination whose confirmation URL the action's URL starts with (the longest)."""
        best: Destination | None = None
        for destination in self.destinations.values():
            if (destination.account, destination.region) != (account, region):
                continue
            if url.startswith(destination.confirmation_url) and (
                best is None or len(destination.confirmation_url) > len(best.confirmation_url)
            ):
                best = destination
        return best
