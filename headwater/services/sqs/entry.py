"""SQS in the service registry; it offers other services a `QueueSink`."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, Stages
from headwater.services.ports import KeyRing, QueueReader, QueueSink
from headwater.services.sqs.api import SqsApi
from headwater.services.sqs.fast import sqs_fast_paths
from headwater.services.sqs.move_tasks import MoveTasks
from headwater.services.sqs.reader import SqsQueueReader
from headwater.services.sqs.service import SqsCore
from headwater.services.sqs.sink import SqsQueueSink


def build(host: Host) -> Service:
    core = SqsCore(host.config, host.engine, host.clock, host.metrics, host.ports.get(KeyRing))
    tasks = MoveTasks(core)  # resumes persisted move tasks once the core has loaded its queues
    fast = {operation: path for (_, operation), path in sqs_fast_paths(core).items()}
    config = host.config
    # a queue's URL names the host the client used; listings use the server's own address
    where = "localhost" if config.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else config.host
    base = f"{'https' if config.tls else 'http'}://{where}:{config.port}"

    def inventory() -> dict[str, list[str]]:
        urls = (f"{base}/{account}/{name}" for account, region, name in core.queues)
        return {"queues": sorted(urls)}

    return Service(
        "sqs",
        "sqs",
        Stages(core, tasks),
        SqsApi(core, tasks),
        fast_paths=fast,
        provides={QueueSink: SqsQueueSink(core), QueueReader: SqsQueueReader(core)},
        inventory=inventory,
    )


ENTRY = ServiceEntry("sqs", build, requires=("kms",))
