"""KMS in the service registry: it owns the one key ring every other service encrypts with, and
serves the KMS API on it."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry, local_name
from headwater.services.kms.api import KmsApi
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.ports import KeyRing


def build(host: Host) -> Service:
    ring = LocalKeyRing(host.engine.meta, host.clock)

    def inventory() -> dict[str, list[str]]:
        keys, aliases = ring.store.inventory()
        return {
            "keys": sorted(local_name(host.config, *key) for key in keys),
            "aliases": sorted(local_name(host.config, *alias) for alias in aliases),
        }

    return Service("kms", "kms", ring, KmsApi(ring), provides={KeyRing: ring}, inventory=inventory)


ENTRY = ServiceEntry("kms", build)
