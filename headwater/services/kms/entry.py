"""KMS in the service registry: it owns the one key ring every other service encrypts with, and
serves the KMS API on it."""

from __future__ import annotations

from headwater.services.base import Host, Service, ServiceEntry
from headwater.services.kms.api import KmsApi
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.ports import KeyRing


def build(host: Host) -> Service:
    ring = LocalKeyRing(host.engine.meta, host.clock)
    return Service("kms", "kms", ring, KmsApi(ring), provides={KeyRing: ring})


ENTRY = ServiceEntry("kms", build)
