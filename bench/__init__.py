"""Headwater's benchmarks: one package per service, shared scaffolding in bench.common (see README.md)."""
