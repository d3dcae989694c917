"""The Prometheus exposition at GET /_headwater/metrics, parsed strictly."""

from __future__ import annotations

import re
import urllib.request

from tests.e2e.support.server import Server

SAMPLE = re.compile(r'([a-z_][a-z0-9_]*)(?:\{((?:[A-Za-z_][A-Za-z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)')
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: Server) -> Samples:
    """Parses the exposition strictly: every line is a HELP, a TYPE, or a well-formed sample."""
    with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples: Samples = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:]
            assert kind in ("counter", "gauge")
            typed.add(name)
            continue
        if line.startswith("# HELP ") or not line:
            continue
        match = SAMPLE.fullmatch(line)
        assert match, line
        name, labels, value = match.groups()
        assert name in typed, f"{name} has no TYPE line before its samples"
        samples[name, frozenset(LABEL.findall(labels or ""))] = float(value)
    return samples
