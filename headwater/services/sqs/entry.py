"""SQS in the service registry; it offers other services a `QueueSink`."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.ports import KeyRing, QueueSink
from headwater.services.sqs.api import SqsApi
from headwater.services.sqs.fast import sqs_fast_paths
from headwater.services.sqs.service import SqsCore
from headwater.services.sqs.sink import SqsQueueSink


def build(host: Host) -> Service:
    core = SqsCore(host.config, host.engine, host.clock, host.metrics, host.ports.get(KeyRing))
    fast = {operation: path for (_, operation), path in sqs_fast_paths(core).items()}
    return Service(
        "sqs", "sqs", core, SqsApi(core), fast_paths=fast, provides={QueueSink: SqsQueueSink(core)}
    )


ENTRY = ServiceEntry("sqs", build, requires=("kms",))
