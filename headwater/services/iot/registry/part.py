"""The registry part as the iot core builds it: its state, its taggable kinds, its directory."""

from __future__ import annotations

from headwater.engine.api import MetaStore, OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.iot.registry.directory import RegistryDirectory
from headwater.services.iot.registry.store import RegistryStore
from headwater.services.iot.registry.tagging import register_kinds


def build_registry(
    meta: MetaStore, ordered: OrderedStore, clock: SystemClock
) -> tuple[RegistryStore, RegistryDirectory]:
    store = RegistryStore(meta, ordered, clock)
    register_kinds(store)
    return store, RegistryDirectory(store)
