"""The processing stages a delivery stream runs its records through, in AWS's order (pipeline.py)."""
