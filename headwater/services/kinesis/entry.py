"""Kinesis Data Streams in the service registry."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages, local_name
from headwater.services.kinesis.api import KinesisApi
from headwater.services.kinesis.channels.core import ChannelCore
from headwater.services.kinesis.fast import kinesis_fast_paths
from headwater.services.kinesis.queues.core import QueueCore
from headwater.services.kinesis.reader import KinesisStreamReader
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.sink import KinesisStreamSink
from headwater.services.ports import ChannelDelivery, KeyRing, StreamReader, StreamSink


def build(host: Host) -> Service:
    core = KinesisCore(host.config, host.engine, host.clock, host.metrics, host.ports.get(KeyRing))
    queues = QueueCore(core)
    channels = ChannelCore(core, lambda: host.ports.find(ChannelDelivery))  # firehose: registered later
    fast = {operation: path for (_, operation), path in kinesis_fast_paths(core).items()}

    def inventory() -> dict[str, list[str]]:
        streams = core.streams.values()
        return {
            "streams": sorted(local_name(host.config, s.account, s.region, s.name) for s in streams),
            "consumers": sorted(f"{s.name}/{name}" for s in streams for name in s.consumers),
            "queues": sorted(
                local_name(host.config, q.account, q.region, q.name) for q in queues.queues.values()
            ),
            "channels": sorted(
                local_name(host.config, c.account, c.region, c.name) for c in channels.channels.values()
            ),
        }

    lifecycle = Stages(core, queues, channels)
    return Service(
        "kinesis",
        "kinesis",
        lifecycle,
        KinesisApi(core, queues, channels),
        fast_paths=fast,
        provides={StreamReader: KinesisStreamReader(core), StreamSink: KinesisStreamSink(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("kinesis", build, requires=("kms",))
