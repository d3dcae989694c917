"""Kinesis queues: a stream's records delivered one by one, with visibility, receive counts and
built-in dead-lettering (CreateQueue ... RestoreDeadLetterQueueRecords).

Theory of operation. A queue owns no copy of the records: they stay in the stream's log, and the
queue keeps only its delivery state there.

* Per shard, a **cursor**: the first log offset the queue has not taken yet. A receive takes new
  records from the cursors (the starting position sets them when the queue is created; shards
  born later by resharding start at their first record) and moves them on.
* Per taken, unacknowledged record, a **delivery**: receive count, first receive time, the time it
  becomes visible again, whether it is dead-lettered, and a generation that changes each time it is
  received (it is part of the receipt handle). A record below the cursor without a delivery has
  been acknowledged; acknowledging deletes the delivery. Memory is bounded by what consumers hold,
  never by the stream's size.
* Both live in the metadata store (namespaces `kinesis.queue-deliveries` and
  `kinesis.queue-cursors`) and every change is awaited before the answer, so a kill -9 loses no
  acknowledged change. Deliveries are written before the cursor that passes them, and start-up
  lifts each cursor above its newest delivery, so a crash between the two never re-delivers a
  taken record as new nor loses one.
* A receive first returns deliveries that are visible again (visibility timeout passed or set to
  0), then new records. Once a record has been received MaxReceiveCount times (BUILT_IN
  dead-lettering), the next time it would be delivered it becomes a dead-letter record instead:
  only the dead-letter operations see it, with their own visibility; restoring it resets its
  receive count. With TargetType NONE it is redelivered until acknowledged.
* Retention is the stream's: a delivery whose record the stream has trimmed is dropped, and a
  queue never extends a record's life.
* Receipt handles name the queue, shard, offset, generation and side (normal or dead): a handle
  from an earlier receive, or from the other side, no longer changes the record's visibility. An
  acknowledgement takes any handle of the record that is still on its side.
"""
