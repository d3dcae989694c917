"""The scale rows as a Markdown table: what each `python -m bench.scale.<service>` prints and what the
`scale` section of bench/RESULTS.md shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _number(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.2f}" if abs(value) < 100 and value != int(value) else f"{value:,.0f}"
    return str(value)


def _rates(row: Mapping[str, Any]) -> str:
    rates = row.get("rates") or {}
    return "<br>".join(f"{name}: {_number(value)}" for name, value in rates.items())


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [
        "| service | scenario | stored | server RSS (MB) | restart (s) | rates | notes |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['service']} | {r['scenario']} | {r['stored']} | {float(r['rss_mb']):.0f} "
            f"| {float(r['restart_s']):.2f} | {_rates(r)} | {r.get('notes', '')} |"
        )
    return "\n".join(lines)
