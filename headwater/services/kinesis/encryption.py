"""Record encryption at rest for streams with EncryptionType KMS, on the local key store.

The key store (keys, aliases, material) is persisted whole in the metadata store whenever it
changes, which is rare (a new key or alias), never on the record path.
"""

from __future__ import annotations

from headwater.engine.api import MetaStore
from headwater.engine.clock import SystemClock
from headwater.services.kms.keystore import Key, KeyStore

NAMESPACE = "kms"
KEY = "keystore"


class StreamKeys:
    def __init__(self, meta: MetaStore, clock: SystemClock) -> None:
        self.meta = meta
        raw = meta.get(NAMESPACE, KEY)
        self.store = KeyStore.from_bytes(raw, clock) if raw else KeyStore(clock)
        self._saved = self.store.revision

    async def _persist(self) -> None:
        if self.store.revision != self._saved:
            self._saved = self.store.revision
            await self.meta.put(NAMESPACE, KEY, self.store.to_bytes())

    async def resolve(self, account: str, region: str, key_ref: str) -> Key:
        """Raises KeyStoreError for an unknown key; creates alias/aws/kinesis on first use."""
        key = self.store.resolve(account, region, key_ref)
        await self._persist()
        return key

    def encrypt_for(self, account: str, region: str, key_ref: str, data: bytes, aad: bytes) -> bytes:
        return self.store.encrypt(self.store.resolve(account, region, key_ref), data, aad)

    def decrypt_for(self, account: str, region: str, blob: bytes, aad: bytes) -> bytes:
        return self.store.decrypt(blob, aad)
