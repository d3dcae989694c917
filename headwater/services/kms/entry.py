"""KMS in the service registry: it owns the key ring every other service encrypts with."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.operations import ServiceApi
from headwater.services.ports import KeyRing


def build(host: Host) -> Service:
    ring = LocalKeyRing(host.engine.meta, host.clock)
    return Service("kms", "kms", ring, ServiceApi(ring, {}), provides={KeyRing: ring})


ENTRY = ServiceEntry("kms", build)
