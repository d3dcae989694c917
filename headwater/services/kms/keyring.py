"""Record encryption at rest for streams with EncryptionType KMS, on the local key store.

The key store (keys, aliases, material) is persisted whole in the metadata store whenever it
changes, which is rare (a new key or alias), never on the record path. StartStreamEncryption
resolves (and so persists) its key before any record is sealed with it, so the record path only
looks keys up, through a cache that any change of the store empties.

A sealed record names its key inside the blob, so records written under an earlier key, or before
a restart, still open after the stream moved to another key or stopped encrypting.
"""

from __future__ import annotations

from headwater.engine.api import MetaStore
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock
from headwater.services.kms.keystore import (
    InvalidCiphertextError,
    Key,
    KeyDisabledError,
    KeyNotFoundError,
    KeyStore,
    KeyStoreError,
)

NAMESPACE = "kms"
KEY = "keystore"


def kms_error(exc: KeyStoreError) -> AwsError:
    """The Kinesis error (a member of every data-plane operation's error list) for a key store error."""
    if isinstance(exc, KeyNotFoundError):
        return AwsError("KMSNotFoundException", str(exc))
    if isinstance(exc, KeyDisabledError):
        return AwsError("KMSDisabledException", str(exc))
    if isinstance(exc, InvalidCiphertextError):
        # Stored data that no longer opens is the service's fault, not the caller's.
        return AwsError("InternalFailureException", str(exc), 500, sender_fault=False)
    return AwsError("KMSInvalidStateException", str(exc))


class LocalKeyRing:
    def __init__(self, meta: MetaStore, clock: SystemClock) -> None:
        self.meta = meta
        self._clock = clock
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
            store = self._store = KeyStore.from_bytes(raw, self._clock) if raw else KeyStore(self._clock)
            self._saved = store.revision
        return store

    async def _persist(self) -> None:
        if self.store.revision != self._saved:
            self._saved = self.store.revision
            await self.meta.put(NAMESPACE, KEY, self.store.to_bytes())

    async def resolve(self, account: str, region: str, key_ref: str) -> Key:
        """The key a reference names (key id, key ARN, alias, alias ARN), persisted before it is
        returned; creates alias/aws/kinesis on first use. Raises AwsError (KMSNotFoundException...)."""
        try:
            key = self.store.resolve(account, region, key_ref)
        except KeyStoreError as exc:
            raise kms_error(exc) from None
        await self._persist()
        return key

    def _find(self, account: str, region: str, key_ref: str) -> Key:
        if self._found_revision != self.store.revision:
            self._found.clear()  # a key was added, aliased or disabled since: look again
            self._found_revision = self.store.revision
        ref = (account, region, key_ref)
        key = self._found.get(ref)
        if key is None:
            key = self._found[ref] = self.store.find(account, region, key_ref)
        return key

    def seal(self, account: str, region: str, key_ref: str, data: bytes, aad: bytes) -> bytes:
        """AES-GCM ciphertext of `data` under the key `key_ref` names, bound to `aad`."""
        try:
            return self.store.encrypt(self._find(account, region, key_ref), data, aad)
        except KeyStoreError as exc:
            raise kms_error(exc) from None

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """The plaintext of a blob from `seal`, whatever key (of any stream setting) sealed it."""
        try:
            return self.store.decrypt(blob, aad)
        except KeyStoreError as exc:
            raise kms_error(exc) from None
