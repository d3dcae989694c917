"""Baseline comparison (python -m bench.compare REF): this tree's Headwater against an older commit's."""
