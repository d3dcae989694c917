"""Every service Headwater runs, in dependency order: adding a service is one line here.

A service's `requires` must name services listed before it; `build_services` checks that, builds each
service with the ports of those before it, and returns them in order. Start in this order, close in
the reverse one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.firehose.entry import ENTRY as FIREHOSE
from headwater.services.functions.entry import ENTRY as FUNCTIONS
from headwater.services.glue.entry import ENTRY as GLUE
from headwater.services.iam.entry import ENTRY as IAM
from headwater.services.iot.entry import ENTRY as IOT
from headwater.services.iot_data.entry import ENTRY as IOT_DATA
from headwater.services.kinesis.entry import ENTRY as KINESIS
from headwater.services.kms.entry import ENTRY as KMS
from headwater.services.logs.entry import ENTRY as LOGS
from headwater.services.s3.entry import ENTRY as S3
from headwater.services.sqs.entry import ENTRY as SQS
from headwater.services.sts.entry import ENTRY as STS

SERVICES: tuple[ServiceEntry, ...] = (
    KMS,
    KINESIS,
    SQS,
    S3,
    # after SQS: the first Query service answers an Action no service has (SQS's InvalidAction)
    STS,
    IAM,
    LOGS,
    FUNCTIONS,  # after IAM and Logs: it checks roles and writes its logs through their ports
    GLUE,
    FIREHOSE,  # after S3, KMS, Logs and Functions: it delivers, seals, logs and transforms through them
    IOT,  # its rules deliver into the services above (IoT part 2)
    IOT_DATA,  # after IoT: it publishes through its broker's IotDataPlane port
)


class Services:
    """The built services, in start order."""

    def __init__(self, services: Sequence[Service]) -> None:
        self._ordered = tuple(services)
        self._by_name = {service.name: service for service in services}

    def __iter__(self) -> Iterator[Service]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Service:
        return self._by_name[name]

    def get(self, name: str) -> Service | None:
        return self._by_name.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(service.name for service in self._ordered)

    async def start(self) -> None:
        for service in self._ordered:
            await service.core.start()

    async def close(self) -> None:
        for service in reversed(self._ordered):
            await service.core.close()

    async def reset(self) -> None:
        """After `close` and an engine reset: every service drops its state and starts afresh."""
        for service in self._ordered:
            await service.core.reset()


def build_services(host: Host, entries: Sequence[ServiceEntry] = SERVICES) -> Services:
    built: list[Service] = []
    seen: set[str] = set()
    for entry in entries:
        missing = [name for name in entry.requires if name not in seen]
        if missing:
            raise ValueError(f"service {entry.name} requires {missing}, which must be registered before it")
        service = entry.build(host)
        for kind, port in service.provides.items():
            host.ports.offer(kind, port)
        built.append(service)
        seen.add(entry.name)
    return Services(built)
