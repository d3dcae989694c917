"""A stand-in for IoT SQL with the contract's shape, so the runtime is tested apart from the parser:
`SELECT * FROM 'filter'` with an optional `WHERE <field> > <number>`; templates know `${topic()}`,
`${topic(n)}` and `${clientid()}`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlError, SqlMessage

STATEMENT = re.compile(r"SELECT \* FROM '([^']*)'(?: WHERE (\w+) > (\d+))?")


def _matches(pattern: str, topic: str) -> bool:
    want, have = pattern.split("/"), topic.split("/")
    for index, level in enumerate(want):
        if level == "#":
            return True
        if index >= len(have) or (level != "+" and level != have[index]):
            return False
    return len(want) == len(have)


@dataclass
class Result:
    value: Any

    def payload(self) -> bytes:
        return self.value if isinstance(self.value, bytes) else json.dumps(self.value).encode()


@dataclass
class Compiled:
    topic_filter: str
    field: str | None
    bound: int
    version: str

    def matches(self, topic: str) -> bool:
        return _matches(self.topic_filter, topic)

    def evaluate(self, message: SqlMessage, env: SqlEnvironment) -> Result | None:
        try:
            value: Any = json.loads(message.payload)
        except ValueError:
            value = message.payload
        if self.field is not None and not (isinstance(value, dict) and value.get(self.field, 0) > self.bound):
            return None
        return Result(value)


def compile_statement(sql: str, version: str = "2016-03-23") -> Compiled:
    match = STATEMENT.fullmatch(sql.strip())
    if match is None:
        raise SqlError(f"Expected SELECT near: {sql[:20]}")
    return Compiled(match.group(1), match.group(2), int(match.group(3) or 0), version)


def render(template: str, message: SqlMessage, env: SqlEnvironment, version: str = "2016-03-23") -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression == "topic()":
            return message.topic
        if expression == "clientid()":
            return message.client_id or ""
        number = re.fullmatch(r"topic\((\d+)\)", expression)
        if number:
            return message.topic.split("/")[int(number.group(1)) - 1]
        raise SqlError(f"unknown expression {expression}")

    return re.sub(r"\$\{([^}]*)\}", one, template)
