"""The process's one key ring: the key store, persisted, behind the `KeyRing` port.

The key store (keys, aliases, material, states) is persisted whole in the metadata store whenever
it changes, which is rare (a KMS API call that changes a key or alias, or a managed key's first
use), never on a data path. Services resolve (and so persist) a key before any data is sealed
with it, so the data paths only look keys up, through a cache that any change of the store
empties; the key's state is checked on every use, so a key disabled or scheduled for deletion
stops sealing and opening at once (and works again once re-enabled or its deletion cancelled).

Errors are the port's service-neutral ones (`services.ports.KeyRingError`); each service maps
them to its own AWS errors, the KMS API to KMS's.
"""

from __future__ import annotations

from collections.abc import Sequence

from headwater.engine.api import MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.kms.keystore import Key, KeyStore

NAMESPACE = "kms"
KEY = "keystore"


class LocalKeyRing:
    def __init__(self, meta: MetaStore, clock: SystemClock) -> None:
        self.meta = meta
        self.clock = clock
        self._store: KeyStore | None = None
        self._saved = 0
        self._found: dict[tuple[str, str, str], Key] = {}
        self._found_revision = -1

    # -- lifecycle: one ring for the whole process, so a reset empties it in place -----------------
    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self._store = None  # reloaded from the (now empty) metadata store on next use
        self._saved = 0
        self._found.clear()
        self._found_revision = -1

    @property
    def store(self) -> KeyStore:
        # Loaded on first use, not at construction: the service is built before the engine has
        # started and loaded the metadata store, and a store read then would find no keys.
        store = self._store
        if store is None:
            raw = self.meta.get(NAMESPACE, KEY)
            store = self._store = KeyStore.from_bytes(raw, self.clock) if raw else KeyStore(self.clock)
            self._saved = store.revision
        return store

    async def persist(self) -> None:
        """Durably saves the store if it changed since it was last saved."""
        if self.store.revision != self._saved:
            self._saved = self.store.revision
            await self.meta.put(NAMESPACE, KEY, self.store.to_bytes())

    # -- the KeyRing port ---------------------------------------------------------------------------
    async def resolve(self, account: str, region: str, key_ref: str) -> str:
        key = self.store.resolve(account, region, key_ref)
        await self.persist()
        return key.arn

    def check(self, account: str, region: str, key_ref: str) -> str:
        return self.store.check_usable(self._find(account, region, key_ref)).arn

    def seal(self, account: str, region: str, key_ref: str, data: bytes, aad: bytes) -> bytes:
        return self.store.encrypt(self._find(account, region, key_ref), data, aad)

    def seal_many(
        self, account: str, region: str, key_ref: str, items: Sequence[bytes], aad: bytes
    ) -> list[bytes]:
        return self.store.encrypt_many(self._find(account, region, key_ref), items, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        return self.store.decrypt(blob, aad)

    def recover(self, blob: bytes, aad: bytes) -> bytes:
        return self.store.decrypt(blob, aad, any_state=True)

    def _find(self, account: str, region: str, key_ref: str) -> Key:
        if self._found_revision != self.store.revision:
            self._found.clear()  # a key was added, aliased or disabled since: look again
            self._found_revision = self.store.revision
        ref = (account, region, key_ref)
        key = self._found.get(ref)
        if key is None:
            key = self._found[ref] = self.store.find(account, region, key_ref)
        return key
