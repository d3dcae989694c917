"""Functions (Lambda Invoke) benchmark: python -m bench.functions."""
