"""Kinesis Data Streams in the service registry."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.kinesis.api import KinesisApi
from headwater.services.kinesis.fast import kinesis_fast_paths
from headwater.services.kinesis.service import KinesisCore
from headwater.services.ports import KeyRing


def build(host: Host) -> Service:
    core = KinesisCore(host.config, host.engine, host.clock, host.metrics, host.ports.get(KeyRing))
    fast = {operation: path for (_, operation), path in kinesis_fast_paths(core).items()}
    return Service("kinesis", "kinesis", core, KinesisApi(core), fast_paths=fast)


ENTRY = ServiceEntry("kinesis", build, requires=("kms",))
