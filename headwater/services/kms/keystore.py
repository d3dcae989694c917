"""Symmetric KMS keys and aliases of every (account, region), with AES-256-GCM.

Theory of operation
-------------------
Two kinds of callers: the KMS API (`services/kms/*`), and the services that encrypt data at rest
(Kinesis, SQS, S3) through the `KeyRing` port. Both need to resolve a key reference (key id, key
ARN, alias name or alias ARN) to a key of an account and region; the AWS-managed
`alias/aws/<service>` keys, which exist implicitly (`resolve` creates them on first use, as AWS
does when a service first needs one); and encryption.

A ciphertext blob names its key (`version | key id (16 bytes) | 96-bit random nonce | AES-GCM
output`), like a real KMS blob, so Decrypt needs no KeyId and data sealed under a previous key
still opens after a stream, queue or bucket moves to another. The caller binds a blob to its
context with the associated data (a stream ARN, or the KMS encryption context), so a blob moved
elsewhere fails to open.

A key's state (Enabled, Disabled, PendingDeletion, then Deleted once its deletion date passed on
the clock) gates its use: `encrypt` and `decrypt` raise the store's own errors, which each service
maps to its AWS errors. A deleted key stays in the store as a tombstone: invisible to every lookup,
but its material is kept so that a service that must rebuild its in-memory state at start (SQS
keeps bodies in clear in memory) can still do so (`decrypt(..., any_state=True)`).

The store does no I/O: `to_bytes()`/`from_bytes()` give its whole content, and `revision` moves
on every change, so the caller persists after any call that moved it, before relying on the key.
That includes `resolve`, which may create a managed key.

AWS-owned keys (`aws-owned/<service>`, e.g. SSE-SQS's) are keys a service uses without the account
seeing them: AWS does not list them, alias them or let KMS calls address them. Here they are keys of
the store with an `owner`, one per (account, region, service), created on first use by `resolve`
and reachable only through that reference (and through the blobs they sealed).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from headwater.runtime.clock import Clock, SystemClock
from headwater.runtime.ids import Nonces
from headwater.services.kms.records import DELETED, PENDING_DELETION, Alias, Key, kms_arn
from headwater.services.ports import (
    InvalidCiphertextError,
    KeyDisabledError,
    KeyNotFoundError,
    KeyRingError,
    KeyStateError,
)

AWS_MANAGED_PREFIX = "alias/aws/"
AWS_OWNED_PREFIX = "aws-owned/"  # a service's own key, e.g. "aws-owned/sqs" (SSE-SQS)
KINESIS_ALIAS = "alias/aws/kinesis"
SQS_ALIAS = "alias/aws/sqs"
S3_ALIAS = "alias/aws/s3"
MANAGED_ALIASES = {KINESIS_ALIAS: "kinesis", SQS_ALIAS: "sqs", S3_ALIAS: "s3"}

_VERSION = b"\x01"
_NONCE_BYTES = 12
_OVERHEAD = 1 + 16 + _NONCE_BYTES + 16  # version, key id, nonce, GCM tag
_ARN = re.compile(r"arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):((?:key|alias)/.+)")
_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}")


# The errors services see are the KeyRing port's own; the store adds those only the KMS API meets.
KeyStoreError = KeyRingError


class AliasExistsError(KeyStoreError):
    """An alias of that name already exists in the account and region."""


class InvalidAliasNameError(KeyStoreError):
    """Not a customer alias name."""


class KeyStore:
    """Keys and aliases of every (account, region)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._keys: dict[str, Key] = {}
        self._aliases: dict[tuple[str, str, str], Alias] = {}
        self._ciphers: dict[str, AESGCM] = {}
        self._nonces = Nonces()
        self._headers: dict[str, bytes] = {}  # key id -> the blob header naming it
        self.revision = 0  # bumped on every change: persist when it moved

    @property
    def clock(self) -> Clock:
        return self._clock

    # -- keys --------------------------------------------------------------------------------------

    def create_key(
        self,
        account: str,
        region: str,
        *,
        description: str = "",
        aws_managed: bool = False,
        tags: tuple[tuple[str, str], ...] = (),
        policy: str | None = None,
    ) -> Key:
        key = Key(
            str(uuid.uuid4()),
            account,
            region,
            os.urandom(32),
            self._clock.now(),
            description,
            aws_managed,
            tags=tags,
            policy=policy,
        )
        self._keys[key.key_id] = key
        self.revision += 1
        return key

    def update(self, key_id: str, **changes: Any) -> Key:
        """The key with `changes` applied (any Key field but its identity and material)."""
        key = replace(self._key(key_id), **changes)
        self._keys[key_id] = key
        self.revision += 1
        return key

    def set_enabled(self, key_id: str, enabled: bool) -> Key:
        return self.update(key_id, enabled=enabled)

    def keys(self, account: str, region: str) -> list[Key]:
        now = self._clock.now()
        return [
            k
            for k in self._keys.values()
            if (k.account, k.region) == (account, region) and k.state(now) != DELETED and k.owner is None
        ]

    def inventory(self) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
        """(account, region, key id) of every key the accounts see, (account, region, alias name) of
        every alias of one (the admin listing, across accounts)."""
        now = self._clock.now()
        keys = [
            (k.account, k.region, k.key_id)
            for k in self._keys.values()
            if k.owner is None and k.state(now) != DELETED
        ]
        aliases = [key for key, a in self._aliases.items() if self._keys[a.key_id].state(now) != DELETED]
        return keys, aliases

    # -- aliases -----------------------------------------------------------------------------------

    def create_alias(self, account: str, region: str, alias_name: str, key_id: str) -> None:
        if not _ALIAS_NAME.fullmatch(alias_name) or alias_name.startswith(AWS_MANAGED_PREFIX):
            raise InvalidAliasNameError(f"Alias {alias_name} is not a valid customer alias name.")
        self._local_key(account, region, key_id)
        if self._live_alias(account, region, alias_name) is not None:
            raise AliasExistsError(
                f"An alias with the name {kms_arn(account, region, alias_name)} already exists"
            )
        now = self._clock.now()
        self._aliases[(account, region, alias_name)] = Alias(account, region, alias_name, key_id, now, now)
        self.revision += 1

    def update_alias(self, account: str, region: str, alias_name: str, key_id: str) -> None:
        alias = self._live_alias(account, region, alias_name)
        if alias is None:
            raise KeyNotFoundError(f"Alias {kms_arn(account, region, alias_name)} is not found.")
        self._local_key(account, region, key_id)
        self._aliases[(account, region, alias_name)] = replace(
            alias, key_id=key_id, updated_s=self._clock.now()
        )
        self.revision += 1

    def delete_alias(self, account: str, region: str, alias_name: str) -> None:
        if self._live_alias(account, region, alias_name) is None:
            raise KeyNotFoundError(f"Alias {kms_arn(account, region, alias_name)} is not found.")
        del self._aliases[(account, region, alias_name)]
        self.revision += 1

    def aliases(self, account: str, region: str) -> dict[str, str]:
        """Alias name -> key id, of the keys that still exist."""
        return {a.name: a.key_id for a in self.alias_records(account, region)}

    def alias_records(self, account: str, region: str) -> list[Alias]:
        now = self._clock.now()
        return [
            a
            for (owner, where, _), a in self._aliases.items()
            if (owner, where) == (account, region) and self._keys[a.key_id].state(now) != DELETED
        ]

    def _live_alias(self, account: str, region: str, name: str) -> Alias | None:
        alias = self._aliases.get((account, region, name))
        if alias is None or self._keys[alias.key_id].state(self._clock.now()) == DELETED:
            return None  # the aliases of a deleted key went with it
        return alias

    def _local_key(self, account: str, region: str, key_id: str) -> Key:
        key = self._keys.get(key_id)
        if key is None or (key.account, key.region) != (account, region) or self._gone(key) or key.owner:
            raise KeyNotFoundError(f"Key '{kms_arn(account, region, f'key/{key_id}')}' does not exist")
        return key

    # -- resolution --------------------------------------------------------------------------------

    def resolve(self, account: str, region: str, key_ref: str) -> Key:
        """A key id, key ARN, alias name or alias ARN, as seen by (account, region); creates the
        AWS-managed key of a service (`alias/aws/kinesis`, `alias/aws/sqs`, `alias/aws/s3`) of the
        caller's own account and region on first use."""
        if key_ref.startswith(AWS_OWNED_PREFIX):
            owned = self._owned(account, region, key_ref)
            if owned is not None:
                return owned
            key = self.create_key(
                account, region, description=f"AWS owned key for {key_ref[len(AWS_OWNED_PREFIX) :]}"
            )
            return self.update(key.key_id, owner=key_ref[len(AWS_OWNED_PREFIX) :])
        try:
            return self.find(account, region, key_ref)
        except KeyNotFoundError:
            owner, where, alias, _ = self._split(account, region, key_ref)
            if (owner, where) != (account, region) or alias not in MANAGED_ALIASES:
                raise
        key = self.create_key(
            account, region, description=f"Default key for {MANAGED_ALIASES[alias]}", aws_managed=True
        )
        now = key.created_s
        self._aliases[(account, region, alias)] = Alias(account, region, alias, key.key_id, now, now)
        return key

    def find(self, account: str, region: str, key_ref: str) -> Key:
        """Like `resolve`, for keys that already exist (never creates one)."""
        if key_ref.startswith(AWS_OWNED_PREFIX):
            owned = self._owned(account, region, key_ref)
            if owned is None:
                raise KeyNotFoundError(f"Key '{key_ref}' does not exist")
            return owned
        owner, where, alias, key_id = self._split(account, region, key_ref)
        if alias is not None:
            record = self._live_alias(owner, where, alias)
            if record is None:
                raise KeyNotFoundError(f"Alias {kms_arn(owner, where, alias)} is not found.")
            return self._keys[record.key_id]
        return self._local_key(owner, where, key_id or "")

    def _owned(self, account: str, region: str, key_ref: str) -> Key | None:
        owner = key_ref[len(AWS_OWNED_PREFIX) :]
        for key in self._keys.values():  # a few keys per account: no index needed
            if key.owner == owner and (key.account, key.region) == (account, region):
                return key
        return None

    @staticmethod
    def _split(account: str, region: str, key_ref: str) -> tuple[str, str, str | None, str | None]:
        """(account, region, alias name, key id) a reference points at; one of the last two is None."""
        if key_ref.startswith("arn:"):
            match = _ARN.fullmatch(key_ref)
            if match is None:
                raise KeyNotFoundError(f"Invalid arn {key_ref}")
            _, region, account, resource = match.groups()
            if resource.startswith("key/"):
                return account, region, None, resource[4:]
            return account, region, resource, None
        if key_ref.startswith("alias/"):
            return account, region, key_ref, None
        return account, region, None, key_ref

    def _key(self, key_id: str) -> Key:
        key = self._keys.get(key_id)
        if key is None or self._gone(key):
            raise KeyNotFoundError(f"Key '{key_id}' does not exist")
        return key

    def _gone(self, key: Key) -> bool:
        return key.deletion_s is not None and key.state(self._clock.now()) == DELETED

    # -- state -------------------------------------------------------------------------------------

    def check_usable(self, key: Key) -> Key:
        """The key's current record, if its state lets it encrypt and decrypt."""
        current = self._key(key.key_id)  # the caller's copy may be stale (disabled since)
        if current.state(self._clock.now()) == PENDING_DELETION:
            raise KeyStateError(f"{current.arn} is pending deletion.")
        if not current.enabled:
            raise KeyDisabledError(f"{current.arn} is disabled.")
        return current

    # -- encryption --------------------------------------------------------------------------------

    def encrypt(self, key: Key, plaintext: bytes, aad: bytes = b"") -> bytes:
        current = self.check_usable(key)
        nonce = self._nonces.next()
        sealed = self._cipher(current).encrypt(nonce, plaintext, aad)
        header = self._headers.get(current.key_id)
        if header is None:
            header = self._headers[current.key_id] = _VERSION + uuid.UUID(current.key_id).bytes
        return header + nonce + sealed

    def encrypt_many(self, key: Key, plaintexts: Sequence[bytes], aad: bytes = b"") -> list[bytes]:
        """`encrypt` of each plaintext, the key's state checked once: a send batch's bodies."""
        current = self.check_usable(key)
        cipher, nonces = self._cipher(current), self._nonces
        header = self._headers.get(current.key_id)
        if header is None:
            header = self._headers[current.key_id] = _VERSION + uuid.UUID(current.key_id).bytes
        out = []
        for plaintext in plaintexts:
            nonce = nonces.next()
            out.append(header + nonce + cipher.encrypt(nonce, plaintext, aad))
        return out

    def encrypt_for(
        self, account: str, region: str, key_ref: str, plaintext: bytes, aad: bytes = b""
    ) -> bytes:
        """`encrypt` under an existing key named by any reference form (see `find`)."""
        return self.encrypt(self.find(account, region, key_ref), plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"", *, any_state: bool = False) -> bytes:
        """The plaintext of a blob from `encrypt`; the blob names its key, so any past key works.
        `any_state` opens it whatever the key's state (a service rebuilding its own state)."""
        key = self.key_of(blob, any_state=any_state)
        if not any_state:
            self.check_usable(key)
        nonce, sealed = blob[17 : 17 + _NONCE_BYTES], blob[17 + _NONCE_BYTES :]
        try:
            return self._cipher(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise InvalidCiphertextError("The ciphertext is invalid or does not match its context.") from None

    def key_of(self, blob: bytes, *, any_state: bool = False) -> Key:
        """The key a blob was encrypted under (KeyNotFoundError once it is deleted)."""
        if len(blob) < _OVERHEAD or blob[:1] != _VERSION:
            raise InvalidCiphertextError("The ciphertext is invalid.")
        key = self._keys.get(str(uuid.UUID(bytes=bytes(blob[1:17]))))
        if key is None:
            raise InvalidCiphertextError("The ciphertext refers to an unknown key.")
        if not any_state and self._gone(key):
            raise KeyNotFoundError(f"Key '{key.arn}' does not exist")
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
            "aliases": [a.to_dict() for a in self._aliases.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], clock: Clock | None = None) -> KeyStore:
        store = cls(clock)
        for item in data.get("keys", []):
            key = Key.from_dict(item)
            store._keys[key.key_id] = key
        for item in data.get("aliases", []):
            alias = Alias.from_dict(item)
            if alias.key_id in store._keys:
                store._aliases[(alias.account, alias.region, alias.name)] = alias
        return store

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes, clock: Clock | None = None) -> KeyStore:
        return cls.from_dict(json.loads(data), clock)
