"""Delivery stream sources other than DirectPut: a Kinesis data stream (KinesisStreamAsSource)."""
