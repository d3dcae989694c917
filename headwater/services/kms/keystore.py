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

Key material must survive restarts, or every encrypted record is lost, but the store does no I/O:
`to_dict()`/`from_dict()` (or `to_bytes()`/`from_bytes()`) give its whole content, and `revision`
moves on every change, so the caller persists after any call that moved it, before relying on the
key. That includes `resolve`, which creates the `alias/aws/kinesis` key on first use.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from headwater.runtime.clock import Clock, SystemClock
from headwater.runtime.ids import Nonces

AWS_MANAGED_PREFIX = "alias/aws/"
KINESIS_ALIAS = "alias/aws/kinesis"
SQS_ALIAS = "alias/aws/sqs"
S3_ALIAS = "alias/aws/s3"
MANAGED_ALIASES = {KINESIS_ALIAS: "kinesis", SQS_ALIAS: "sqs", S3_ALIAS: "s3"}

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
    """Keys and aliases of every (account, region)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._keys: dict[str, Key] = {}
        self._aliases: dict[tuple[str, str, str], str] = {}  # (account, region, alias name) -> key id
        self._ciphers: dict[str, AESGCM] = {}
        self._nonces = Nonces()
        self._headers: dict[str, bytes] = {}  # key id -> the blob header naming it
        self.revision = 0  # bumped on every change: persist when it moved

    # -- keys and aliases --------------------------------------------------------------------------

    def create_key(
        self, account: str, region: str, *, description: str = "", aws_managed: bool = False
    ) -> Key:
        key = Key(
            str(uuid.uuid4()), account, region, os.urandom(32), self._clock.now(), description, aws_managed
        )
        self._keys[key.key_id] = key
        self.revision += 1
        return key

    def create_alias(self, account: str, region: str, alias_name: str, key_id: str) -> None:
        if not _ALIAS_NAME.fullmatch(alias_name) or alias_name.startswith(AWS_MANAGED_PREFIX):
            raise KeyStoreError(f"Alias {alias_name} is not a valid customer alias name.")
        key = self._keys.get(key_id)
        if key is None or (key.account, key.region) != (account, region):
            raise KeyNotFoundError(f"Key '{key_id}' does not exist")
        if (account, region, alias_name) in self._aliases:
            raise KeyStoreError(f"An alias with the name {alias_name} already exists")
        self._aliases[(account, region, alias_name)] = key_id
        self.revision += 1

    def set_enabled(self, key_id: str, enabled: bool) -> Key:
        key = replace(self._key(key_id), enabled=enabled)
        self._keys[key_id] = key
        self.revision += 1
        return key

    def keys(self, account: str, region: str) -> list[Key]:
        return [k for k in self._keys.values() if (k.account, k.region) == (account, region)]

    def aliases(self, account: str, region: str) -> dict[str, str]:
        return {name: kid for (a, r, name), kid in self._aliases.items() if (a, r) == (account, region)}

    def resolve(self, account: str, region: str, key_ref: str) -> Key:
        """A key id, key ARN, alias name or alias ARN, as seen by (account, region); creates the
        AWS-managed key of a service (`alias/aws/kinesis`, `alias/aws/sqs`) of the caller's own account
        and region on first use."""
        try:
            return self.find(account, region, key_ref)
        except KeyNotFoundError:
            owner, where, alias, _ = self._split(account, region, key_ref)
            if (owner, where) != (account, region) or alias not in MANAGED_ALIASES:
                raise
        key = self.create_key(
            account, region, description=f"Default key for {MANAGED_ALIASES[alias]}", aws_managed=True
        )
        self._aliases[(account, region, alias)] = key.key_id
        return key

    def find(self, account: str, region: str, key_ref: str) -> Key:
        """Like `resolve`, for keys that already exist (never creates one)."""
        owner, where, alias, key_id = self._split(account, region, key_ref)
        if alias is not None:
            key_id = self._aliases.get((owner, where, alias))
            if key_id is None:
                raise KeyNotFoundError(
                    f"Alias arn:{partition_of(where)}:kms:{where}:{owner}:{alias} is not found."
                )
            return self._keys[key_id]
        key = self._keys.get(key_id or "")
        if key is None or (key.account, key.region) != (owner, where):
            raise KeyNotFoundError(
                f"Key 'arn:{partition_of(where)}:kms:{where}:{owner}:key/{key_id}' does not exist"
            )
        return key

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
        if key is None:
            raise KeyNotFoundError(f"Key '{key_id}' does not exist")
        return key

    # -- encryption --------------------------------------------------------------------------------

    def encrypt(self, key: Key, plaintext: bytes, aad: bytes = b"") -> bytes:
        current = self._key(key.key_id)  # the caller's copy may be stale (disabled since)
        if not current.enabled:
            raise KeyDisabledError(f"{current.arn} is disabled.")
        nonce = self._nonces.next()
        sealed = self._cipher(current).encrypt(nonce, plaintext, aad)
        header = self._headers.get(current.key_id)
        if header is None:
            header = self._headers[current.key_id] = _VERSION + uuid.UUID(current.key_id).bytes
        return header + nonce + sealed

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
        store = cls(clock)
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
