"""Symmetric KMS-style keys and aliases, with AES-256-GCM for data at rest.

Theory of operation
-------------------
Services that offer KMS encryption (Kinesis StartStreamEncryption, later SQS and Firehose) need three
things from KMS: to resolve a user's key reference (key id, key ARN, alias name or alias ARN) to a key
of an account and region, with KMSNotFoundException when there is none; the AWS-managed
`alias/aws/<service>` keys, which exist implicitly (we create them on first use); and encryption.

A ciphertext blob names its key (`version | key id (16 bytes) | 96-bit random nonce | AES-GCM
output`), like a real KMS blob, so records written under a stream's previous key still decrypt after
the stream switches keys. The caller binds a blob to its context with the associated data (e.g. the
stream ARN), so a blob moved elsewhere fails to decrypt.

Key material must survive restarts, or every encrypted record is lost. Given the engine's MetaStore,
the store loads from it on first use and each change (a new key, alias or state) is durable before
the call that made it returns, including the `alias/aws/kinesis` key that `resolve` creates on first
use; concurrent resolvers of that key wait for the same write. Without one, `to_dict()`/`from_dict()`
snapshot the whole content and `revision` says when it changed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from headwater.engine.api import MetaStore
from headwater.engine.clock import Clock, SystemClock

KEYS_NAMESPACE = "kms.keys"
ALIASES_NAMESPACE = "kms.aliases"
AWS_MANAGED_PREFIX = "alias/aws/"
KINESIS_ALIAS = "alias/aws/kinesis"

_VERSION = b"\x01"
_NONCE_BYTES = 12
_OVERHEAD = 1 + 16 + _NONCE_BYTES + 16  # version, key id, nonce, GCM tag
_ARN = re.compile(r"arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):((?:key|alias)/.+)")
_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}")


class KeyStoreError(Exception):
    """Base of the store's errors; the message is KMS-style."""


class KeyNotFoundError(KeyStoreError):
    """Unknown key or alias (Kinesis: KMSNotFoundException)."""


class KeyDisabledError(KeyStoreError):
    """The key exists but is disabled (Kinesis: KMSDisabledException)."""


class InvalidCiphertextError(KeyStoreError):
    """The blob was not produced by this store, was altered, or the context (AAD) differs."""


async def _all(writes: list[Awaitable[None]]) -> None:
    for write in writes:
        await write


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    account: str
    region: str
    material: bytes = field(repr=False)
    created_s: float
    description: str = ""
    aws_managed: bool = False
    enabled: bool = True

    @property
    def arn(self) -> str:
        return f"arn:{partition_of(self.region)}:kms:{self.region}:{self.account}:key/{self.key_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "account": self.account,
            "region": self.region,
            "material": base64.b64encode(self.material).decode("ascii"),
            "created_s": self.created_s,
            "description": self.description,
            "aws_managed": self.aws_managed,
            "enabled": self.enabled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Key:
        return cls(**{**data, "material": base64.b64decode(data["material"])})


class KeyStore:
    """Keys and aliases of every (account, region). With a MetaStore, it loads from it on first use
    and makes every change durable before the call that made it returns."""

    def __init__(self, meta: MetaStore | None = None, clock: Clock | None = None) -> None:
        self._meta = meta
        self._clock = clock or SystemClock()
        self._keys: dict[str, Key] = {}
        self._aliases: dict[tuple[str, str, str], str] = {}  # (account, region, alias name) -> key id
        self._ciphers: dict[str, AESGCM] = {}
        self._loaded = meta is None
        # Key id -> its write in flight: a concurrent resolve of the same new key waits for it too.
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self.revision = 0  # bumped on every change, for callers that snapshot with to_dict()

    def reset(self) -> None:
        """Forgets the in-memory state (after the engine dropped its data); reloads on next use."""
        self._keys.clear()
        self._aliases.clear()
        self._ciphers.clear()
        self._loaded = self._meta is None

    def _load(self) -> None:
        if self._loaded or self._meta is None:
            return
        for _, raw in self._meta.scan(KEYS_NAMESPACE):
            key = Key.from_dict(json.loads(raw))
            self._keys[key.key_id] = key
        for _, raw in self._meta.scan(ALIASES_NAMESPACE):
            item = json.loads(raw)
            self._aliases[(item["account"], item["region"], item["name"])] = item["key_id"]
        self._loaded = True

    # -- keys and aliases --------------------------------------------------------------------------

    async def create_key(
        self, account: str, region: str, *, description: str = "", aws_managed: bool = False
    ) -> Key:
        self._load()
        key = self._new_key(account, region, description, aws_managed)
        await self._persist(key)
        return key

    async def create_alias(self, account: str, region: str, alias_name: str, key_id: str) -> None:
        self._load()
        if not _ALIAS_NAME.fullmatch(alias_name) or alias_name.startswith(AWS_MANAGED_PREFIX):
            raise KeyStoreError(f"Alias {alias_name} is not a valid customer alias name.")
        key = self._keys.get(key_id)
        if key is None or (key.account, key.region) != (account, region):
            raise KeyNotFoundError(f"Key '{key_id}' does not exist")
        if (account, region, alias_name) in self._aliases:
            raise KeyStoreError(f"An alias with the name {alias_name} already exists")
        self._aliases[(account, region, alias_name)] = key_id
        await self._persist(key, alias_name)

    async def set_enabled(self, key_id: str, enabled: bool) -> Key:
        key = replace(self._key(key_id), enabled=enabled)
        self._keys[key_id] = key
        await self._persist(key)
        return key

    def keys(self, account: str, region: str) -> list[Key]:
        self._load()
        return [k for k in self._keys.values() if (k.account, k.region) == (account, region)]

    def aliases(self, account: str, region: str) -> dict[str, str]:
        self._load()
        return {name: kid for (a, r, name), kid in self._aliases.items() if (a, r) == (account, region)}

    async def resolve(self, account: str, region: str, key_ref: str) -> Key:
        """A key id, key ARN, alias name or alias ARN, as seen by (account, region); creates the
        AWS-managed `alias/aws/kinesis` key of the caller's own account and region on first use."""
        try:
            key = self.find(account, region, key_ref)
        except KeyNotFoundError:
            owner, where, name = self._split(account, region, key_ref)
            if name != KINESIS_ALIAS or (owner, where) != (account, region):
                raise
            # Checked and created with no await in between, so concurrent callers share one key.
            key = self._new_key(account, region, "Default key for kinesis", aws_managed=True)
            self._aliases[(account, region, name)] = key.key_id
            await self._persist(key, name)
            return key
        if (pending := self._inflight.get(key.key_id)) is not None:
            await asyncio.shield(pending)  # found, but not durable yet: wait as its creator does
        return key

    def find(self, account: str, region: str, key_ref: str) -> Key:
        """Like `resolve`, for keys that already exist (no implicit creation, no wait)."""
        self._load()
        owner, where, resource = self._split(account, region, key_ref)
        if resource.startswith("alias/"):
            key_id = self._aliases.get((owner, where, resource))
            if key_id is None:
                raise KeyNotFoundError(
                    f"Alias arn:{partition_of(where)}:kms:{where}:{owner}:{resource} is not found."
                )
            return self._keys[key_id]
        key = self._keys.get(resource)
        if key is None or (key.account, key.region) != (owner, where):
            raise KeyNotFoundError(
                f"Key 'arn:{partition_of(where)}:kms:{where}:{owner}:key/{resource}' does not exist"
            )
        return key

    @staticmethod
    def _split(account: str, region: str, key_ref: str) -> tuple[str, str, str]:
        """(account, region, `alias/name` or bare key id) that a reference points at."""
        if not key_ref.startswith("arn:"):
            return account, region, key_ref
        match = _ARN.fullmatch(key_ref)
        if match is None:
            raise KeyNotFoundError(f"Invalid arn {key_ref}")
        _, where, owner, resource = match.groups()
        return owner, where, resource.removeprefix("key/")

    def _new_key(self, account: str, region: str, description: str, aws_managed: bool) -> Key:
        key = Key(
            str(uuid.uuid4()), account, region, os.urandom(32), self._clock.now(), description, aws_managed
        )
        self._keys[key.key_id] = key
        return key

    def _key(self, key_id: str) -> Key:
        self._load()
        key = self._keys.get(key_id)
        if key is None:
            raise KeyNotFoundError(f"Key '{key_id}' does not exist")
        return key

    async def _persist(self, key: Key, alias: str | None = None) -> None:
        self.revision += 1
        if self._meta is None:
            return
        writes = [self._meta.put(KEYS_NAMESPACE, key.key_id, json.dumps(key.to_dict()).encode())]
        if alias is not None:
            item = {"account": key.account, "region": key.region, "name": alias, "key_id": key.key_id}
            alias_key = f"{key.account}:{key.region}:{alias}"
            writes.append(self._meta.put(ALIASES_NAMESPACE, alias_key, json.dumps(item).encode()))
        done = self._inflight[key.key_id] = asyncio.ensure_future(_all(writes))
        try:
            await asyncio.shield(done)
        finally:
            if self._inflight.get(key.key_id) is done:
                del self._inflight[key.key_id]

    # -- encryption --------------------------------------------------------------------------------

    def encrypt(self, key: Key, plaintext: bytes, aad: bytes = b"") -> bytes:
        current = self._key(key.key_id)  # the caller's copy may be stale (disabled since)
        if not current.enabled:
            raise KeyDisabledError(f"{current.arn} is disabled.")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher(current).encrypt(nonce, plaintext, aad)
        return _VERSION + uuid.UUID(current.key_id).bytes + nonce + sealed

    def encrypt_for(
        self, account: str, region: str, key_ref: str, plaintext: bytes, aad: bytes = b""
    ) -> bytes:
        """`encrypt` under an existing key named by any reference form (see `find`)."""
        return self.encrypt(self.find(account, region, key_ref), plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        """The plaintext of a blob from `encrypt`; the blob names its key, so any past key works."""
        key = self.key_of(blob)
        if not key.enabled:
            raise KeyDisabledError(f"{key.arn} is disabled.")
        nonce, sealed = blob[17 : 17 + _NONCE_BYTES], blob[17 + _NONCE_BYTES :]
        try:
            return self._cipher(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise InvalidCiphertextError("The ciphertext is invalid or does not match its context.") from None

    def key_of(self, blob: bytes) -> Key:
        """The key a blob was encrypted under."""
        self._load()
        if len(blob) < _OVERHEAD or blob[:1] != _VERSION:
            raise InvalidCiphertextError("The ciphertext is invalid.")
        key = self._keys.get(str(uuid.UUID(bytes=bytes(blob[1:17]))))
        if key is None:
            raise InvalidCiphertextError("The ciphertext refers to an unknown key.")
        return key

    def _cipher(self, key: Key) -> AESGCM:
        cipher = self._ciphers.get(key.key_id)
        if cipher is None:
            cipher = self._ciphers[key.key_id] = AESGCM(key.material)
        return cipher

    # -- persistence -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": [k.to_dict() for k in self._keys.values()],
            "aliases": [
                {"account": a, "region": r, "name": name, "key_id": kid}
                for (a, r, name), kid in self._aliases.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], clock: Clock | None = None) -> KeyStore:
        store = cls(clock=clock)
        for item in data.get("keys", []):
            key = Key.from_dict(item)
            store._keys[key.key_id] = key
        for item in data.get("aliases", []):
            store._aliases[(item["account"], item["region"], item["name"])] = item["key_id"]
        return store

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, clock: Clock | None = None) -> KeyStore:
        return cls.from_dict(json.loads(data), clock)
