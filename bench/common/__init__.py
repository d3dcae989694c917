"""Scaffolding every benchmark shares: runner, scenario, report, sections, wire, load, servers, peers."""
