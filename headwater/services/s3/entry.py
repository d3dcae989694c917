"""S3 in the service registry. Its requests are answered by the HTTP listener's streaming front end
(`listeners/http/s3.py`), which finds the service here by name."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages, local_name
from headwater.services.ports import FunctionInvoker, KeyRing, ObjectSink, ObjectSource, QueueSink
from headwater.services.s3.access_log import AccessLogs
from headwater.services.s3.api import S3Api
from headwater.services.s3.inventory import Inventory
from headwater.services.s3.lifecycle import Lifecycle
from headwater.services.s3.object_sink import S3ObjectSink
from headwater.services.s3.service import S3Core
from headwater.services.s3.source import S3ObjectSource


def build(host: Host) -> Service:
    keys, queues = host.ports.get(KeyRing), host.ports.get(QueueSink)  # notifications go to SQS
    core = S3Core(host.config, host.engine, host.clock, host.metrics, keys, queues)
    core.functions = lambda: host.ports.find(FunctionInvoker)  # registered after S3: found when used
    # expiry sweeps, inventory reports and access logs run on the core once it has loaded its buckets

    def inventory() -> dict[str, list[str]]:
        buckets = core.store.buckets()
        return {"buckets": sorted(local_name(host.config, b.account, b.region, b.name) for b in buckets)}

    return Service(
        "s3",
        "s3",
        Stages(core, Lifecycle(core), Inventory(core), AccessLogs(core)),
        S3Api(core),
        # function code from S3Bucket/S3Key; Firehose deliveries
        provides={ObjectSource: S3ObjectSource(core), ObjectSink: S3ObjectSink(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("s3", build, requires=("kms", "sqs"))
