"""Kinesis benchmark (python -m bench.kinesis): Headwater against kinesalite, kinesis-local and moto."""
