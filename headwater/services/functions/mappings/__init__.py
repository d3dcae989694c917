"""Event-source mappings: Lambda's pollers that read Kinesis shards and SQS queues and invoke a
function with batches of what they read.

Theory of operation. A mapping's definition (`record.py`) lives in the metadata store, written
before any answer, so a restart finds every mapping in the state it was left (a transitional
state settles at start: Creating/Enabling/Updating to Enabled, Disabling to Disabled, Deleting
gone). `manager.py` owns the definitions and runs one poller per Enabled mapping: `sqs_poller.py`
(workers that receive, filter, invoke and delete) or `kinesis_shards.py` (one `ShardPoller` per
shard, children once their parents are read to the end). Pollers read the source services only
through the `StreamReader` and `QueueReader` ports, and invoke through the functions core's
synchronous path (`calls.py`), so a mapping counts against the function's concurrency.

A Kinesis shard's place is durable: after each batch the poller writes the sequence number of its
last finished record to the metadata store (`checkpoints.py`) and resumes AFTER it, so after kill -9
nothing is skipped (the batch in flight is delivered again). SQS needs no checkpoint: a message
not deleted comes back when its visibility timeout runs out.
"""
