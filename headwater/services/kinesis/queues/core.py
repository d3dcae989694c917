"""The queues' registry and delivery state: what lives in memory, what the metadata store keeps,
start-up, transitions and the retention sweep (see the package docstring for the model)."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable
from typing import Any

from headwater.runtime.tasks import BackgroundTasks
from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.queues.model import Delivery, Queue
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream

log = logging.getLogger("headwater.kinesis.queues")

QUEUES = "kinesis.queues"
DELIVERIES = "kinesis.queue-deliveries"
CURSORS = "kinesis.queue-cursors"
SWEEP_INTERVAL_S = 60.0

Key = tuple[str, int]  # (shard id, log offset)


class QueueState:
    """One queue's delivery state: cursors per shard, the deliveries it holds, and per side (normal,
    dead) a heap of (visible time, record) so a receive finds what is due without scanning every
    delivery. Heap entries go stale when a delivery changes (a new entry is pushed); a stale one
    is recognised by its time no longer matching the delivery's and dropped when it surfaces."""

    __slots__ = ("changed", "cursors", "deliveries", "due", "lock", "turn")

    def __init__(self) -> None:
        self.cursors: dict[str, int] = {}
        self.deliveries: dict[Key, Delivery] = {}
        self.due: dict[bool, list[tuple[int, Key]]] = {False: [], True: []}  # keyed by `dead`
        # one receive at a time: two taking from the same cursor would deliver records twice
        self.lock = asyncio.Lock()
        self.turn = 0  # the shard new records are taken from first, in turn, so none starves
        self.changed = asyncio.Event()  # set when a call makes a delivery visible (wakes long polls)

    def schedule(self, key: Key, delivery: Delivery) -> None:
        """Call after any change of the delivery's visibility or side."""
        heapq.heappush(self.due[delivery.dead], (delivery.visible_ms, key))

    def pop_due(self, dead: bool, now_ms: int) -> tuple[Key, Delivery] | None:
        """The next delivery on that side whose visibility has run out, if any."""
        heap = self.due[dead]
        while heap and heap[0][0] <= now_ms:
            visible_ms, key = heapq.heappop(heap)
            delivery = self.deliveries.get(key)
            if delivery is not None and delivery.dead == dead and delivery.visible_ms == visible_ms:
                return key, delivery
        return None

    def wake(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


class QueueCore:
    def __init__(self, kinesis: KinesisCore) -> None:
        self.kinesis = kinesis
        self.meta = kinesis.meta
        self.clock = kinesis.clock
        self.queues: dict[str, Queue] = {}  # queue id -> definition
        self.states: dict[str, QueueState] = {}
        self.background = BackgroundTasks(log)
        kinesis.queue_count = self.count_on

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        for _, raw in self.meta.scan(QUEUES):
            queue = Queue.from_json(raw)
            self.queues[queue.queue_id] = queue
            self.states[queue.queue_id] = QueueState()
        for key, raw in self.meta.scan(CURSORS):
            queue_id, shard_id = key.split("/", 1)
            if queue_id in self.states:
                self.states[queue_id].cursors[shard_id] = int(raw)
        for key, raw in self.meta.scan(DELIVERIES):
            queue_id, shard_id, offset = key.split("/")
            state = self.states.get(queue_id)
            if state is not None:
                delivery = state.deliveries[(shard_id, int(offset))] = Delivery.from_json(raw)
                state.schedule((shard_id, int(offset)), delivery)
                # a crash between a receive's deliveries and its cursor write: lift the cursor
                cursor = state.cursors.get(shard_id, 0)
                state.cursors[shard_id] = max(cursor, int(offset) + 1)
        for queue in list(self.queues.values()):
            if queue.status in ("CREATING", "UPDATING"):
                self.background.spawn(self.transition(queue, "ACTIVE"))
            elif queue.status == "DELETING":
                self.background.spawn(self.finish_delete(queue))
        self.background.spawn(self._sweep_forever())

    async def close(self) -> None:
        await self.background.cancel_all()

    async def reset(self) -> None:
        await self.close()
        self.queues.clear()
        self.states.clear()
        await self.start()

    # -- lookups ---------------------------------------------------------------------------------
    def count_on(self, stream: Stream) -> int:
        key = (stream.account, stream.region, stream.name)
        return sum(
            1 for q in self.queues.values() if q.stream_key == key and q.stream_created == stream.created
        )

    def find(self, arn: str, ctx: RequestContext) -> Queue:
        """The queue an ARN names (a DELETING one is gone already, as far as callers can tell)."""
        _, _, queue_id = arn.rpartition("/")
        queue = self.queues.get(queue_id)
        if queue is None or queue.arn != arn or queue.status == "DELETING":
            raise errors.AwsError("ResourceNotFoundException", f"Queue {arn} not found.")
        return queue

    def stream_of(self, queue: Queue) -> Stream | None:
        stream = self.kinesis.streams.get(queue.stream_key)
        if stream is None or stream.created != queue.stream_created:
            return None
        return stream

    # -- persistence -----------------------------------------------------------------------------
    async def save(self, queue: Queue) -> None:
        await self.meta.put(QUEUES, queue.queue_id, queue.to_json())

    def put_delivery(self, queue: Queue, key: Key, delivery: Delivery) -> Awaitable[None]:
        return self.meta.put(DELIVERIES, _delivery_key(queue, key), delivery.to_json())

    def drop_delivery(self, queue: Queue, key: Key) -> Awaitable[None]:
        self.states[queue.queue_id].deliveries.pop(key, None)
        return self.meta.delete(DELIVERIES, _delivery_key(queue, key))

    def put_cursor(self, queue: Queue, shard_id: str, offset: int) -> Awaitable[None]:
        self.states[queue.queue_id].cursors[shard_id] = offset
        return self.meta.put(CURSORS, f"{queue.queue_id}/{shard_id}", str(offset).encode())

    # -- transitions -----------------------------------------------------------------------------
    async def transition(self, queue: Queue, status: str) -> None:
        await self.clock.sleep(self.kinesis.config.transition_delay)
        if self.queues.get(queue.queue_id) is queue and queue.status != "DELETING":
            queue.status = status
            await self.save(queue)

    async def finish_delete(self, queue: Queue) -> None:
        await self.clock.sleep(self.kinesis.config.transition_delay)
        state = self.states.pop(queue.queue_id, None)
        self.queues.pop(queue.queue_id, None)
        writes: list[Awaitable[None]] = []
        if state is not None:
            writes += [self.meta.delete(DELIVERIES, _delivery_key(queue, key)) for key in state.deliveries]
            writes += [self.meta.delete(CURSORS, f"{queue.queue_id}/{shard}") for shard in state.cursors]
        writes.append(self.meta.delete(QUEUES, queue.queue_id))
        await asyncio.gather(*writes)

    # -- retention -------------------------------------------------------------------------------
    def expired(self, stream: Stream | None, key: Key) -> bool:
        """Whether the stream no longer holds the record (trimmed, or its shard dropped)."""
        if stream is None:
            return True
        shard = stream.shard(key[0])
        return shard is None or key[1] < self.kinesis.log.first_offset(shard.partition)

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_INTERVAL_S)
            await self.sweep()

    async def sweep(self) -> None:
        """Drops deliveries of records past the stream's retention."""
        for queue in list(self.queues.values()):
            state = self.states.get(queue.queue_id)
            if state is None:
                continue
            stream = self.stream_of(queue)
            gone = [key for key in state.deliveries if self.expired(stream, key)]
            if gone:
                await asyncio.gather(*(self.drop_delivery(queue, key) for key in gone))


def _delivery_key(queue: Queue, key: Key) -> str:
    return f"{queue.queue_id}/{key[0]}/{key[1]:020d}"


def start_cursor(core: QueueCore, queue: Queue, shard: Shard) -> int:
    """Where a queue starts reading a shard it has no cursor for yet."""
    log_ = core.kinesis.log
    born_after = shard.created_ms > queue.created * 1000
    if born_after or queue.start_type == "TRIM_HORIZON":
        return log_.first_offset(shard.partition)
    if queue.start_type == "AT_TIMESTAMP" and queue.start_timestamp is not None:
        return log_.offset_at_time(shard.partition, int(queue.start_timestamp * 1000))
    return log_.next_offset(shard.partition) if shard.end_offset is None else shard.end_offset


def describe(queue: Queue) -> dict[str, Any]:
    position: dict[str, Any] = {"Type": queue.start_type}
    if queue.status != "CREATING":
        position["Timestamp"] = queue.effective_timestamp
    elif queue.start_timestamp is not None:  # while CREATING, what was asked for
        position["Timestamp"] = queue.start_timestamp
    return {
        "QueueName": queue.name,
        "QueueARN": queue.arn,
        "QueueStatus": queue.status,
        "QueueCreationTimestamp": queue.created,
        "StreamConfigurationList": [{"StreamARN": queue.stream_arn, "StartingPosition": position}],
        "QueueAttributes": queue.attributes(),
    }
