"""Server-side encryption at rest: every object body is encrypted (S3 applies SSE-S3 by default).

Theory of operation
-------------------
Each object (or multipart upload) gets a random 256-bit data key. Its body is AES-256-CTR under
that key, with a random initial counter block per blob (`iv`); CTR lets a range be decrypted from
any offset without reading what comes before, and costs ~5 GB/s with AES-NI, far below what MD5
of the same bytes costs. The data key is stored sealed (AES-GCM) next to the object's record:

- SSE-S3 ("AES256"): under an S3-owned service key, kept in the metadata store (created on first
  use, durable before any object depends on it). S3's own keys are not KMS keys.
- SSE-KMS ("aws:kms", "aws:kms:dsse"): under the named KMS key of the KMS service's key ring, or
  the AWS-managed `alias/aws/s3` key (created on first use, as KMS does). The sealed blob names its
  key, so objects stay readable after the bucket moves to another key. As on AWS, a key that is
  disabled, pending deletion or deleted fails the writes that would use it and the reads of the
  objects sealed under it (KMS.DisabledException, KMS.KMSInvalidStateException,
  KMS.NotFoundException, 400); nothing stored changes, so re-enabling the key makes them
  readable again. HEAD needs no key and keeps working.

The bucket's default encryption (the ServerSideEncryptionConfiguration the buckets API stored as
`configs["encryption"]`) picks the kind when a request does not. SSE-C is blocked by default on
new buckets since April 2026 (403 AccessDenied); where a bucket unblocks it we answer 501, as we
keep no customer keys.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from headwater.protocol.errors import AwsError
from headwater.runtime.ids import Nonces
from headwater.services.ports import KeyDisabledError, KeyNotFoundError, KeyRingError, KeyStateError
from headwater.services.s3.errors import invalid_argument, invalid_request, not_implemented, s3_error
from headwater.services.s3.records import Bucket
from headwater.services.s3.service import S3Core

AES256, KMS, KMS_DSSE = "AES256", "aws:kms", "aws:kms:dsse"
S3_ALIAS = "alias/aws/s3"  # the AWS-managed key of SSE-KMS without a key id

NAMESPACE, SERVICE_KEY = "s3:sse", "service-key"
_AAD = b"headwater:s3:data-key"
_FORMAT = b"\x01"
_BLOCK = 16
_COUNTER_SPACE = 1 << 128


class _Secrets:
    """Secret random bytes from the OS, fetched 8 KiB at a time: one `os.urandom` call per object
    would cost a GIL hand-off each (see headwater.runtime.ids)."""

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def take(self, count: int) -> bytes:
        if self._at + count > len(self._pool):
            self._pool, self._at = os.urandom(8192), 0
        chunk = self._pool[self._at : self._at + count]
        self._at += count
        return chunk


_secrets = _Secrets()


def new_iv() -> bytes:
    return _secrets.take(_BLOCK)


@dataclass(frozen=True, slots=True)
class Sealing:
    """How an object's bodies are encrypted: the data key in clear (never stored) and sealed."""

    sse: str  # "AES256", "aws:kms" or "aws:kms:dsse"
    kms_key_id: str | None  # the KMS key ARN for aws:kms
    sealed_key: str  # base64, as stored in the record
    data_key: bytes = field(repr=False)
    bucket_key_enabled: bool = False

    def cipher(self, iv: bytes, offset: int = 0) -> CipherContext:
        return ctr_cipher(self.data_key, iv, offset)


def ctr_cipher(data_key: bytes, iv: bytes, offset: int = 0) -> CipherContext:
    """An AES-256-CTR keystream positioned at byte `offset` of a blob (encrypts and decrypts)."""
    counter = (int.from_bytes(iv, "big") + offset // _BLOCK) % _COUNTER_SPACE
    context = Cipher(algorithms.AES(data_key), modes.CTR(counter.to_bytes(_BLOCK, "big"))).encryptor()
    skip = offset % _BLOCK
    if skip:
        context.update(bytes(skip))
    return context


# -- the S3-owned service key -----------------------------------------------------------------------


class _ServiceKeys:
    """The service key per metadata store, re-read when the store no longer holds it (a reset)."""

    def __init__(self) -> None:
        self._raw: bytes | None = None
        self._cipher: AESGCM | None = None
        self._nonces = Nonces()

    async def cipher(self, core: S3Core) -> AESGCM:
        raw = core.engine.meta.get(NAMESPACE, SERVICE_KEY)
        if raw is None:
            raw = _secrets.take(32)
            # durable before any record sealed under it is acknowledged; a concurrent first writer
            # finds it with `get` (which sees unflushed writes) and its record is written after it
            durable = core.engine.meta.put(NAMESPACE, SERVICE_KEY, raw)
            self._raw, self._cipher = raw, AESGCM(raw)
            await durable
        if raw != self._raw or self._cipher is None:
            self._raw, self._cipher = raw, AESGCM(raw)
        return self._cipher

    def seal(self, cipher: AESGCM, data_key: bytes) -> bytes:
        nonce = self._nonces.next()
        return _FORMAT + nonce + cipher.encrypt(nonce, data_key, _AAD)


_service_keys = _ServiceKeys()


# -- choosing the encryption of a write -------------------------------------------------------------


def default_rule(bucket: Bucket) -> Mapping[str, Any]:
    rules = (bucket.configs.get("encryption") or {}).get("Rules") or [{}]
    return rules[0] or {}


def _sse_c_blocked(bucket: Bucket) -> bool:
    blocked = (default_rule(bucket).get("BlockedEncryptionTypes") or {}).get("EncryptionType")
    if blocked is None:
        return True  # the default for buckets created since April 2026
    return "SSE-C" in blocked


def check_customer_key_write(bucket: Bucket, params: Mapping[str, Any]) -> None:
    if any(params.get(name) for name in ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")):
        if _sse_c_blocked(bucket):
            raise s3_error("AccessDenied", "Access Denied", 403)
        raise not_implemented("x-amz-server-side-encryption-customer-algorithm")


def check_customer_key_read(params: Mapping[str, Any], prefix: str = "") -> None:
    """SSE-C headers on a read: no object of ours is SSE-C encrypted."""
    if any(params.get(f"{prefix}{name}") for name in ("SSECustomerAlgorithm", "SSECustomerKey")):
        raise invalid_request("The encryption parameters are not applicable to this object.")


async def choose(
    core: S3Core, bucket: Bucket, params: Mapping[str, Any], account: str, region: str
) -> Sealing:
    """The encryption of a new object from the request's SSE headers or the bucket's default."""
    check_customer_key_write(bucket, params)
    requested = params.get("ServerSideEncryption")
    key_ref = params.get("SSEKMSKeyId")
    bucket_key = params.get("BucketKeyEnabled")
    if requested is None:
        if key_ref:
            raise invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header "
                "x-amz-server-side-encryption : aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id",
                key_ref,
            )
        rule = default_rule(bucket)
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        requested = default.get("SSEAlgorithm") or AES256
        key_ref = default.get("KMSMasterKeyID")
        if bucket_key is None:
            bucket_key = rule.get("BucketKeyEnabled")
    elif requested not in (AES256, KMS, KMS_DSSE):
        raise invalid_argument(
            "The encryption method specified is not supported", "x-amz-server-side-encryption", requested
        )
    elif requested == AES256 and key_ref:
        raise invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id",
            key_ref,
        )
    data_key = _secrets.take(32)
    if requested == AES256:
        cipher = await _service_keys.cipher(core)
        sealed = _service_keys.seal(cipher, data_key)
        return Sealing(AES256, None, base64.b64encode(sealed).decode("ascii"), data_key)
    try:
        arn = await core.keys.resolve(account, region, key_ref or S3_ALIAS)
        sealed = core.keys.seal(account, region, arn, data_key, _AAD)
    except KeyRingError as exc:
        raise kms_error(exc) from None
    return Sealing(requested, arn, base64.b64encode(sealed).decode("ascii"), data_key, bool(bucket_key))


_KMS_CODES = (
    (KeyNotFoundError, "KMS.NotFoundException"),
    (KeyDisabledError, "KMS.DisabledException"),
    (KeyStateError, "KMS.KMSInvalidStateException"),
)


def kms_error(exc: KeyRingError) -> AwsError:
    """S3 reports KMS failures as KMS.<KMS exception name>, 400, with KMS's message (a stored data
    key that no longer opens is ours: 500)."""
    for kind, code in _KMS_CODES:
        if isinstance(exc, kind):
            return s3_error(code, str(exc), 400)
    return _broken()


# -- reopening the data key of a stored object or upload ---------------------------------------------


async def unseal(
    core: S3Core, sse: str | None, kms_key_id: str | None, sealed_key: str | None
) -> Sealing | None:
    """The Sealing of a stored object or upload (None for an unencrypted one)."""
    if sse is None or sealed_key is None:
        return None
    blob = base64.b64decode(sealed_key)
    if sse == AES256:
        cipher = await _service_keys.cipher(core)
        if blob[:1] != _FORMAT:
            raise _broken()
        try:
            data_key = cipher.decrypt(blob[1:13], blob[13:], _AAD)
        except InvalidTag:
            raise _broken() from None
    else:
        try:
            data_key = core.keys.open(blob, _AAD)
        except KeyRingError as exc:
            raise kms_error(exc) from None
    return Sealing(sse, kms_key_id, sealed_key, data_key)


def _broken() -> AwsError:
    return s3_error("InternalError", "We encountered an internal error. Please try again.", 500)


def response_fields(sse: str | None, kms_key_id: str | None, bucket_key: bool = False) -> dict[str, Any]:
    """ServerSideEncryption (and SSEKMSKeyId, BucketKeyEnabled for KMS) of a response."""
    if sse is None:
        return {}
    fields: dict[str, Any] = {"ServerSideEncryption": sse}
    if kms_key_id:
        fields["SSEKMSKeyId"] = kms_key_id
        if bucket_key:
            fields["BucketKeyEnabled"] = True
    return fields
