"""What the embedded-engine micro-benchmarks share: their command line and percentiles."""

from __future__ import annotations

import argparse


def parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """The mode (durable, fast) and --seconds; each benchmark adds its own flags."""
    p = argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("mode", nargs="?", default="durable", choices=["durable", "fast"])
    p.add_argument("--seconds", type=float, default=5.0)
    return p


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) of latencies in seconds, in ms; 0 when there are none."""
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1e3 if values else 0.0
