"""From a matching record to a result row (names and values), and aggregate queries' one row.

Names are what JSON output uses as keys: the alias (`AS n`), else a column's last name (`s.a.b`
-> `b`, `s._1` -> `_1`), else `_N` for the N-th projection. SELECT * gives the record itself: a CSV
record's fields under the header's names (or `_1`, `_2`...), a JSON record as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlglot import exp

from headwater.services.s3.select.evaluate import Evaluator
from headwater.services.s3.select.query import Query
from headwater.services.s3.select.values import CsvRecord, compare, number

Row = list[tuple[str, Any]]


def names(query: Query) -> list[str]:
    result = []
    for position, node in enumerate(query.projections, start=1):
        if isinstance(node, exp.Alias):
            result.append(node.alias)
        elif isinstance(node, exp.Column | exp.Dot):
            result.append(node.name if isinstance(node, exp.Column) else node.expression.name)
        else:
            result.append(f"_{position}")
    return result


class Projector:
    def __init__(self, query: Query, evaluator: Evaluator) -> None:
        self.query = query
        self.evaluator = evaluator
        self.names = names(query)

    def row(self, record: Any) -> Row | Any:
        """A list of (name, value), or for SELECT * over JSON the record itself."""
        if self.query.star:
            if isinstance(record, CsvRecord):
                header = sorted(record.header.items(), key=lambda item: item[1]) if record.header else []
                labels = [name for name, _ in header]
                return [
                    (labels[i] if i < len(labels) else f"_{i + 1}", value)
                    for i, value in enumerate(record.fields)
                ]
            return record
        return [
            (name, self.evaluator.value(node, record))
            for name, node in zip(self.names, self.query.projections, strict=True)
        ]


class Aggregator:
    """COUNT/SUM/AVG/MIN/MAX over the matching records."""

    def __init__(self, query: Query, evaluator: Evaluator) -> None:
        self.query = query
        self.evaluator = evaluator
        self.counts = [0] * len(query.aggregates)
        self.values: list[Any] = [None] * len(query.aggregates)

    def add(self, record: Any) -> None:
        for i, call in enumerate(self.query.aggregates):
            argument = call.this
            if isinstance(call, exp.Count) and (argument is None or isinstance(argument, exp.Star)):
                self.counts[i] += 1
                continue
            value = self.evaluator.value(argument, record)
            if value is None:
                continue
            self.counts[i] += 1
            current = self.values[i]
            if isinstance(call, exp.Sum | exp.Avg):
                amount = number(value)
                if amount is None:
                    continue
                if isinstance(current, Decimal) != isinstance(amount, Decimal) and current is not None:
                    current, amount = Decimal(str(current)), Decimal(str(amount))
                self.values[i] = amount if current is None else current + amount
            elif isinstance(call, exp.Min | exp.Max):
                order = compare(value, current) if current is not None else None
                if current is None or (
                    order is not None and (order < 0) == isinstance(call, exp.Min) and order != 0
                ):
                    self.values[i] = value

    def row(self, projector: Projector) -> Row:
        for i, call in enumerate(self.query.aggregates):
            result: Any = self.values[i]
            if isinstance(call, exp.Count):
                result = self.counts[i]
            elif isinstance(call, exp.Avg) and result is not None:
                result = result / self.counts[i] if self.counts[i] else None
            self.evaluator.results[id(call)] = result
        return projector.row(None)
