"""The queue data plane: receive, acknowledge, change visibility and restore, on both sides (the
normal receive path and the dead-letter one). The package docstring describes the model."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from headwater.engine.api import StoredEntry
from headwater.services.context import RequestContext
from headwater.services.kinesis.payload import decode_payload
from headwater.services.kinesis.queues.core import Key, QueueCore, start_cursor
from headwater.services.kinesis.queues.handles import DEAD, NORMAL, Handle, parse
from headwater.services.kinesis.queues.model import Delivery, Queue
from headwater.services.kinesis.state import Stream

MAX_READ_BYTES = 10 * 1024 * 1024
DEFAULT_WAIT_S = 9
RECHECK_S = 0.2  # how often a long poll looks again for records whose visibility ran out


def _visible(
    core: QueueCore, queue: Queue, stream: Stream | None, side: str, now_ms: int, limit: int
) -> tuple[list[Key], list[Awaitable[None]]]:
    """Up to `limit` deliveries on `side` that can be received now, dead-lettering on the way
    those that reached the queue's receive limit."""
    state = core.states[queue.queue_id]
    ready: list[Key] = []
    writes: list[Awaitable[None]] = []
    while len(ready) < limit:
        due = state.pop_due(side == DEAD, now_ms)
        if due is None:
            break
        key, delivery = due
        if key in ready:  # two heap entries of one unchanged delivery
            continue
        if core.expired(stream, key):  # the stream's retention ended it
            writes.append(core.drop_delivery(queue, key))
            continue
        if side == NORMAL and queue.dead_letter == "BUILT_IN" and delivery.count >= (queue.max_receives or 0):
            delivery.dead = True
            delivery.visible_ms = now_ms
            state.schedule(key, delivery)
            writes.append(core.put_delivery(queue, key, delivery))
            continue
        ready.append(key)
    return ready, writes


async def _take_new(
    core: QueueCore, queue: Queue, stream: Stream, room: int
) -> list[tuple[Key, StoredEntry]]:
    """Up to `room` records past the cursors, now deliveries of the queue."""
    state = core.states[queue.queue_id]
    log = core.kinesis.log
    taken: list[tuple[Key, StoredEntry]] = []
    first = state.turn % max(1, len(stream.shards))
    state.turn += 1
    for shard in stream.shards[first:] + stream.shards[:first]:
        if len(taken) >= room:
            break
        cursor = state.cursors.get(shard.shard_id)
        if cursor is None:
            cursor = start_cursor(core, queue, shard)
        start = max(cursor, log.first_offset(shard.partition))
        entries = await log.read_async(shard.partition, start, room - len(taken), MAX_READ_BYTES)
        if shard.end_offset is not None:
            entries = [e for e in entries if e.offset < shard.end_offset]
        if not entries:
            continue
        writes = []
        for entry in entries:
            key = (shard.shard_id, entry.offset)
            delivery = state.deliveries[key] = Delivery(arrival_ms=entry.timestamp_ms)
            writes.append(core.put_delivery(queue, key, delivery))
            taken.append((key, entry))
        await asyncio.gather(*writes)  # deliveries before the cursor that passes them
        await core.put_cursor(queue, shard.shard_id, entries[-1].offset + 1)
    return taken


async def _entry(core: QueueCore, stream: Stream, key: Key) -> StoredEntry | None:
    shard = stream.shard(key[0])
    if shard is None:
        return None
    entries = await core.kinesis.log.read_async(shard.partition, key[1], 1, MAX_READ_BYTES)
    return entries[0] if entries and entries[0].offset == key[1] else None


async def _receive_once(
    core: QueueCore, queue: Queue, side: str, limit: int, visibility_s: int
) -> list[dict[str, Any]]:
    stream = core.stream_of(queue)
    now_ms = core.clock.now_ms()
    ready, writes = _visible(core, queue, stream, side, now_ms, limit)
    if writes:
        await asyncio.gather(*writes)
    if stream is None:
        return []
    picked: list[tuple[Key, StoredEntry]] = []
    for key in ready:
        entry = await _entry(core, stream, key)
        if entry is None:
            await core.drop_delivery(queue, key)
        else:
            picked.append((key, entry))
    if side == NORMAL and len(picked) < limit:
        picked += await _take_new(core, queue, stream, limit - len(picked))
    state = core.states[queue.queue_id]
    records, writes = [], []
    for key, entry in picked:
        delivery = state.deliveries.get(key)
        if delivery is None:  # acknowledged while this receive read the log
            continue
        delivery.count += 1
        delivery.generation += 1
        if delivery.first_ms is None:
            delivery.first_ms = now_ms
        delivery.visible_ms = now_ms + visibility_s * 1000
        state.schedule(key, delivery)
        writes.append(core.put_delivery(queue, key, delivery))
        records.append(_render(core, queue, stream, key, entry, delivery, side))
    if writes:
        await asyncio.gather(*writes)
    return records


def _render(
    core: QueueCore, queue: Queue, stream: Stream, key: Key, entry: StoredEntry, delivery: Delivery, side: str
) -> dict[str, Any]:
    shard = stream.shard(key[0])
    assert shard is not None  # _entry and _take_new only give entries of the stream's shards
    partition_key, data, _ = decode_payload(core.kinesis, stream, entry.payload)
    handle = Handle(queue.queue_id, key[0], key[1], delivery.generation, side)
    record: dict[str, Any] = {
        "ReceiptHandle": handle.encode(),
        # the sequence number is the record's identity in the stream: the same in every queue
        "RecordId": shard.sequence_number(entry.offset, entry.timestamp_ms),
        "Data": data,
        "ApproximateArrivalTimestamp": entry.timestamp_ms / 1000,
        "FirstReceiveTimestamp": (delivery.first_ms or 0) / 1000,
        "ReceiveCount": delivery.count,
    }
    if partition_key:
        record["PartitionKey"] = partition_key
    return record


async def _receive(core: QueueCore, params: dict[str, Any], ctx: RequestContext, side: str) -> dict[str, Any]:
    queue = core.find(params["QueueARN"], ctx)
    limit = params.get("Limit", 10)
    visibility = params.get("VisibilityTimeoutSeconds", queue.visibility_s)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + params.get("WaitTimeSeconds", DEFAULT_WAIT_S)
    while True:
        state = core.states.get(queue.queue_id)
        if state is not None and queue.status in ("ACTIVE", "UPDATING"):  # not while CREATING
            async with state.lock:
                records = await _receive_once(core, queue, side, limit, visibility)
            if records:
                return {"QueueRecords": records}
        remaining = deadline - loop.time()
        if remaining <= 0 or queue.status == "DELETING":
            return {"QueueRecords": []}
        await _wait(core, queue, min(remaining, RECHECK_S))


async def _wait(core: QueueCore, queue: Queue, timeout: float) -> None:
    """Until a record arrives on the stream, a call makes one visible, or `timeout` (wall) seconds:
    visibility deadlines pass on the server clock (which tests advance), so receives look again
    every RECHECK_S rather than sleeping until a deadline."""
    stream = core.stream_of(queue)
    state = core.states.get(queue.queue_id)
    events = [state.changed] if state is not None else []
    if stream is not None:
        events += [core.kinesis.wakeup(s.partition) for s in stream.open_shards]
    if not events:
        await asyncio.sleep(timeout)
        return
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def receive_records(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await _receive(core, params, ctx, NORMAL)


async def receive_dead_letter_records(
    core: QueueCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await _receive(core, params, ctx, DEAD)


# -- batch entry operations ------------------------------------------------------------------------
Change = Callable[[Queue, Key, Delivery, Handle, dict[str, Any]], Awaitable[None] | None]


def _invalid(token: str, reason: str) -> dict[str, Any]:
    return {"ReceiptHandle": token, "ErrorCode": "InvalidArgumentException", "ErrorMessage": reason}


async def _batch(
    core: QueueCore,
    params: dict[str, Any],
    ctx: RequestContext,
    side: str,
    change: Change,
    *,
    acknowledging: bool = False,
) -> dict[str, Any]:
    """Applies `change` to each entry's delivery. An acknowledgement takes any handle of a record
    still on its side (and an acknowledged record's again); other changes only the newest one."""
    queue = core.find(params["QueueARN"], ctx)
    state = core.states[queue.queue_id]
    successful, failed, writes = [], [], []
    for entry in params["Entries"]:
        token = entry["ReceiptHandle"]
        handle = parse(token)
        if handle is None or handle.queue_id != queue.queue_id or handle.side != side:
            failed.append(_invalid(token, f"The receipt handle {token} is not valid for queue {queue.arn}."))
            continue
        key = (handle.shard_id, handle.offset)
        delivery = state.deliveries.get(key)
        if delivery is None or delivery.dead != (side == DEAD):
            if acknowledging and delivery is None:  # already acknowledged: nothing left to do
                successful.append({"ReceiptHandle": token})
            else:
                failed.append(
                    _invalid(token, f"The record of receipt handle {token} is no longer in this state.")
                )
            continue
        if not acknowledging and handle.generation != delivery.generation:
            failed.append(_invalid(token, f"The receipt handle {token} has expired."))
            continue
        write = change(queue, key, delivery, handle, entry)
        if write is not None:
            writes.append(write)
        successful.append({"ReceiptHandle": token})
    if writes:
        await asyncio.gather(*writes)
    return {"Successful": successful, "Failed": failed}


def _acknowledge(core: QueueCore) -> Change:
    return lambda queue, key, delivery, handle, entry: core.drop_delivery(queue, key)


def _set_visibility(core: QueueCore) -> Change:
    def change(
        queue: Queue, key: Key, delivery: Delivery, handle: Handle, entry: dict[str, Any]
    ) -> Awaitable[None]:
        delivery.visible_ms = core.clock.now_ms() + entry["VisibilityTimeoutSeconds"] * 1000
        core.states[queue.queue_id].schedule(key, delivery)
        core.states[queue.queue_id].wake()
        return core.put_delivery(queue, key, delivery)

    return change


def _restore(core: QueueCore) -> Change:
    def change(
        queue: Queue, key: Key, delivery: Delivery, handle: Handle, entry: dict[str, Any]
    ) -> Awaitable[None]:
        delivery.dead = False
        delivery.count = 0
        delivery.visible_ms = core.clock.now_ms()
        core.states[queue.queue_id].schedule(key, delivery)
        core.states[queue.queue_id].wake()
        return core.put_delivery(queue, key, delivery)

    return change


async def acknowledge(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await _batch(core, params, ctx, NORMAL, _acknowledge(core), acknowledging=True)


async def acknowledge_dead_letter(
    core: QueueCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await _batch(core, params, ctx, DEAD, _acknowledge(core), acknowledging=True)


async def update_visibility(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await _batch(core, params, ctx, NORMAL, _set_visibility(core))


async def update_dead_letter_visibility(
    core: QueueCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return await _batch(core, params, ctx, DEAD, _set_visibility(core))


async def restore_dead_letter(core: QueueCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    return await _batch(core, params, ctx, DEAD, _restore(core))
