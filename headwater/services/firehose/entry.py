"""Amazon Data Firehose in the service registry: it delivers into S3 through the `ObjectSink`
port, seals with the key ring, logs delivery errors through `LogSink` and (later stages) calls
functions through `FunctionCaller`."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, local_name
from headwater.services.firehose.api import firehose_api
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.fast import firehose_fast_paths


def build(host: Host) -> Service:
    core = FirehoseCore(host.config, host.engine, host.clock, host.metrics, host.ports)

    def inventory() -> dict[str, list[str]]:
        streams = core.streams.values()
        return {
            "delivery streams": sorted(local_name(host.config, s.account, s.region, s.name) for s in streams)
        }

    return Service(
        "firehose",
        "firehose",
        core,
        firehose_api(core),
        fast_paths=firehose_fast_paths(core),
        inventory=inventory,
    )


ENTRY = ServiceEntry("firehose", build, requires=("kinesis", "s3", "kms", "functions", "logs", "glue"))
