"""Amazon Data Firehose in the service registry: it delivers into S3 through the `ObjectSink`
port, seals with the key ring, logs delivery errors through `LogSink` and (later stages) calls
functions through `FunctionCaller`; it offers `ChannelDelivery`, which runs Kinesis channels."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages, local_name
from headwater.services.firehose.api import firehose_api
from headwater.services.firehose.channels import ChannelDeliveries, ChannelRunner
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.fast import firehose_fast_paths
from headwater.services.firehose.sink import FirehoseRecordSink
from headwater.services.ports import ChannelDelivery, DeliveryStreamSink


def build(host: Host) -> Service:
    core = FirehoseCore(host.config, host.engine, host.clock, host.metrics, host.ports)
    channels = ChannelDeliveries(core)  # Kinesis channels run on the same machinery

    def inventory() -> dict[str, list[str]]:
        streams = core.streams.values()
        return {
            "delivery streams": sorted(local_name(host.config, s.account, s.region, s.name) for s in streams)
        }

    return Service(
        "firehose",
        "firehose",
        Stages(core, ChannelRunner(channels)),
        firehose_api(core),
        fast_paths=firehose_fast_paths(core),
        provides={ChannelDelivery: channels, DeliveryStreamSink: FirehoseRecordSink(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("firehose", build, requires=("kinesis", "s3", "kms", "functions", "logs", "glue"))
