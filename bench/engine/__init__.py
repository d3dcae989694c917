"""Embedded-engine micro-benchmarks (python -m bench.engine.append, python -m bench.engine.queue)."""
