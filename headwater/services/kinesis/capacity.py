"""On-demand capacity: on-demand streams grow their shards instead of staying throttled.

AWS sizes an on-demand stream from its traffic (4 MiB/s to start, up to double the previous peak)
and from its warm throughput target. Here a shard is worth 1 MiB/s of writes, so capacity in MiB/s
is the open shard count. When a write to an on-demand stream is throttled, the stream doubles its
shards (at most once per cooldown, so a burst of throttles triggers one scaling); a warm throughput
target scales it straight to that many shards. Scaling is a real reshape (splits, then merges), so
lineage and ChildShards stay correct for consumers.
"""

from __future__ import annotations

from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.shards import finish_update, reshape
from headwater.services.kinesis.state import Stream

MAX_ON_DEMAND_MIBPS = 10_240  # 10 GiB/s, AWS's ceiling in the large regions
COOLDOWN_S = 60.0


def capacity_mibps(stream: Stream) -> int:
    return len(stream.open_shards)


async def grow(core: KinesisCore, stream: Stream, mibps: int) -> bool:
    """Reshapes an on-demand stream to `mibps` of write capacity; False when it already has that."""
    target = min(mibps, MAX_ON_DEMAND_MIBPS)
    if stream.mode != "ON_DEMAND" or target <= capacity_mibps(stream):
        return False
    stream.autoscaled_at = core.clock.now()
    await reshape(core, stream, target)
    await finish_update(core, stream)
    return True


async def _grow_if_active(core: KinesisCore, stream: Stream, mibps: int) -> None:
    if stream.status == "ACTIVE" and core.streams.get((stream.account, stream.region, stream.name)) is stream:
        await grow(core, stream, mibps)


def on_throttled(core: KinesisCore, stream: Stream) -> None:
    """Called on the write path when an on-demand stream refused a record for lack of capacity."""
    if stream.mode != "ON_DEMAND" or stream.status != "ACTIVE":
        return
    if core.clock.now() - stream.autoscaled_at < COOLDOWN_S:
        return
    stream.autoscaled_at = core.clock.now()
    core.spawn(_grow_if_active(core, stream, 2 * capacity_mibps(stream)))
