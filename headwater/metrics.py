"""Counters and gauges under CloudWatch's metric names, rendered as Prometheus text.

Services bump counters on their hot paths, so `add` is a dict update and nothing more; labels are a
tuple of (name, value) pairs fixed by the caller (stream, shard, queue...).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

Labels = tuple[tuple[str, str], ...]

_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.gauges: dict[str, dict[Labels, float]] = defaultdict(dict)
        # callables that refresh gauges right before rendering (queue depths, iterator ages...)
        self.collectors: list[Callable[[Metrics], None]] = []

    def add(self, namespace: str, name: str, labels: Labels, amount: float = 1.0) -> None:
        self.counters[f"{namespace}:{name}"][labels] += amount

    def set(self, namespace: str, name: str, labels: Labels, value: float) -> None:
        self.gauges[f"{namespace}:{name}"][labels] = value

    def reset(self) -> None:
        self.counters.clear()
        self.gauges.clear()

    def render(self) -> str:
        for collect in self.collectors:
            collect(self)
        lines: list[str] = []
        for kind, table in (("counter", self.counters), ("gauge", self.gauges)):
            for key in sorted(table):
                namespace, _, name = key.partition(":")
                metric = _UNSAFE.sub("_", f"{namespace}_{name}").lower()
                lines.append(f"# HELP {metric} AWS/{namespace} {name}")
                lines.append(f"# TYPE {metric} {kind}")
                for labels, value in sorted(table[key].items()):
                    rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                    lines.append(f"{metric}{{{rendered}}} {value:g}" if rendered else f"{metric} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
