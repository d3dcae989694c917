"""Counters and gauges under CloudWatch's metric names, rendered as Prometheus text.

Services bump counters on their hot paths, so `add` is a dict update and nothing more (callers add
once per request or per shard batch, never per record); labels are a tuple of (name, value) pairs
fixed by the caller, the CloudWatch dimensions (StreamName, ShardId, ConsumerName...).

Rendering turns `AWS/Kinesis` `GetRecords.IteratorAgeMilliseconds` into the Prometheus name
`aws_kinesis_get_records_iterator_age_milliseconds` (the CloudWatch exporter's convention, so
dashboards carry over) and keeps the CloudWatch name in the HELP line.

Series are bounded by what exists: services record only for resources they found (a typo'd queue
or bucket name records nothing) and `forget` a resource's series when it is deleted, so the
metrics never grow with a client's mistakes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Labels = tuple[tuple[str, str], ...]

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]+")


class Metrics:
    def __init__(self) -> None:
        # (namespace, CloudWatch name) -> labels -> value
        self.counters: dict[tuple[str, str], dict[Labels, float]] = {}
        self.gauges: dict[tuple[str, str], dict[Labels, float]] = {}
        # callables that refresh gauges right before rendering (queue depths, iterator ages...)
        self.collectors: list[Callable[[Metrics], None]] = []

    def add(self, namespace: str, name: str, labels: Labels, amount: float = 1.0) -> None:
        table = self.counters.get((namespace, name))
        if table is None:
            table = self.counters[namespace, name] = {}
        table[labels] = table.get(labels, 0.0) + amount

    def set(self, namespace: str, name: str, labels: Labels, value: float) -> None:
        table = self.gauges.get((namespace, name))
        if table is None:
            table = self.gauges[namespace, name] = {}
        table[labels] = value

    def value(self, namespace: str, name: str, labels: Labels) -> float | None:
        """A counter's or gauge's current value (None if never recorded), for tests and admin views."""
        for tables in (self.counters, self.gauges):
            table = tables.get((namespace, name))
            if table is not None and labels in table:
                return table[labels]
        return None

    def forget(self, namespace: str, match: Labels) -> None:
        """Drops every series of `namespace` whose labels include all of `match` (a deleted resource's)."""
        wanted = set(match)
        for tables in (self.counters, self.gauges):
            for (space, name), table in list(tables.items()):
                if space != namespace:
                    continue
                for labels in [labels for labels in table if wanted <= set(labels)]:
                    del table[labels]
                if not table:
                    del tables[space, name]

    def reset(self) -> None:
        self.counters.clear()
        self.gauges.clear()

    def render(self) -> str:
        for collect in self.collectors:
            collect(self)
        lines: list[str] = []
        for kind, tables in (("counter", self.counters), ("gauge", self.gauges)):
            for namespace, name in sorted(tables):
                metric = prometheus_name(namespace, name)
                lines.append(f"# HELP {metric} AWS/{namespace} {name}")
                lines.append(f"# TYPE {metric} {kind}")
                for labels, value in sorted(tables[namespace, name].items()):
                    rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                    number = _number(value)
                    lines.append(f"{metric}{{{rendered}}} {number}" if rendered else f"{metric} {number}")
        return "\n".join(lines) + "\n"


@lru_cache(maxsize=1024)
def prometheus_name(namespace: str, name: str) -> str:
    """`Kinesis`, `GetRecords.Bytes` -> `aws_kinesis_get_records_bytes`."""
    words = _WORD_START.sub("_", f"aws_{namespace}_{name}")
    return _UNSAFE.sub("_", words).lower()


def _number(value: float) -> str:
    # `:g` would print a byte count of 12345678 as 1.23457e+07: exact integers stay exact.
    value = float(value)  # gauges may be set to ints
    return str(int(value)) if value.is_integer() else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
