"""KMS cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
GenerateRandom.

Theory of operation
-------------------
A ciphertext blob is the key store's: `version | key id | nonce | AES-256-GCM output`. It names
its key, so Decrypt needs no KeyId (given one, it must be the blob's key: IncorrectKeyException).
The encryption context is bound as GCM associated data in a canonical form (sorted pairs), so
Decrypt must present exactly the same pairs, in any order, or gets InvalidCiphertextException, as
does a blob altered or from elsewhere. The blob's key must be usable at Decrypt time: a disabled
key is DisabledException, one pending deletion KMSInvalidStateException, a deleted one
NotFoundException; re-enabling the key makes its blobs decrypt again.

Only SYMMETRIC_DEFAULT exists; an asymmetric algorithm names a key usage these keys lack
(InvalidKeyUsageException). DryRun checks everything, then answers DryRunOperationException.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.kms import errors, lookup
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.records import Key
from headwater.services.ports import KeyRingError

SYMMETRIC = "SYMMETRIC_DEFAULT"
_CONTEXT_PREFIX = b"headwater:kms:context:"
_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def context_aad(context: Mapping[str, str] | None) -> bytes:
    """The associated data binding a blob to its encryption context, whatever the pairs' order."""
    pairs = sorted((context or {}).items())
    text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a lone surrogate (JSON's "\ud800") is text the request may carry
    return _CONTEXT_PREFIX + text.encode("utf-8", "surrogatepass")


def _check_algorithm(algorithm: str | None, key: Key) -> None:
    if algorithm not in (None, SYMMETRIC):
        raise AwsError(
            "InvalidKeyUsageException",
            f"The encryption algorithm {algorithm} is not valid for {key.arn}: it supports only {SYMMETRIC}.",
        )


def _dry_run(params: Mapping[str, Any]) -> None:
    if params.get("DryRun"):
        raise AwsError(
            "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
        )


def _seal(ring: LocalKeyRing, key: Key, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
    try:
        return ring.store.encrypt(key, plaintext, context_aad(context))
    except KeyRingError as exc:
        raise errors.from_store(exc) from None


def _open(
    ring: LocalKeyRing,
    ctx: RequestContext,
    blob: bytes | None,
    context: Mapping[str, str] | None,
    key_ref: str | None,
) -> tuple[Key, bytes]:
    """The blob's key and plaintext, with KMS's errors."""
    if blob is None:
        raise errors.constraint(None, "ciphertextBlob", "Member must not be null")
    try:
        key = ring.store.key_of(blob)
    except KeyRingError as exc:
        raise errors.from_store(exc) from None
    if (key.account, key.region) != (ctx.account, ctx.region):
        raise errors.invalid_ciphertext()  # a blob of another region or account's key
    if key_ref is not None and lookup.find(ring, ctx, key_ref).key_id != key.key_id:
        raise AwsError(
            "IncorrectKeyException",
            "The key ID in the request does not identify a CMK that can perform this operation.",
        )
    try:
        return key, ring.store.decrypt(blob, context_aad(context))
    except KeyRingError as exc:
        raise errors.from_store(exc) from None


async def encrypt(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    key = lookup.usable(ring, ctx, params["KeyId"])
    _check_algorithm(params.get("EncryptionAlgorithm"), key)
    _dry_run(params)
    blob = _seal(ring, key, params["Plaintext"], params.get("EncryptionContext"))
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": SYMMETRIC}


async def decrypt(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    if params.get("Recipient"):
        raise errors.unsupported("Recipient (Nitro Enclaves attestation) is not supported.")
    blob = params.get("CiphertextBlob")
    key_ref = params.get("KeyId")
    key, plaintext = _open(ring, ctx, blob, params.get("EncryptionContext"), key_ref)
    _check_algorithm(params.get("EncryptionAlgorithm"), key)
    _dry_run(params)
    return {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": SYMMETRIC}


async def re_encrypt(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    source, plaintext = _open(
        ring,
        ctx,
        params.get("CiphertextBlob"),
        params.get("SourceEncryptionContext"),
        params.get("SourceKeyId"),
    )
    _check_algorithm(params.get("SourceEncryptionAlgorithm"), source)
    destination = lookup.usable(ring, ctx, params["DestinationKeyId"])
    _check_algorithm(params.get("DestinationEncryptionAlgorithm"), destination)
    _dry_run(params)
    blob = _seal(ring, destination, plaintext, params.get("DestinationEncryptionContext"))
    return {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": SYMMETRIC,
        "DestinationEncryptionAlgorithm": SYMMETRIC,
    }


def _data_key_size(params: Mapping[str, Any]) -> int:
    spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
    if (spec is None) == (count is None):
        raise errors.validation("Please specify either number of bytes or key spec.")
    return _DATA_KEY_BYTES[spec] if spec is not None else int(str(count))


async def generate_data_key(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    if params.get("Recipient"):
        raise errors.unsupported("Recipient (Nitro Enclaves attestation) is not supported.")
    key = lookup.usable(ring, ctx, params["KeyId"])
    size = _data_key_size(params)
    _dry_run(params)
    plaintext = os.urandom(size)
    blob = _seal(ring, key, plaintext, params.get("EncryptionContext"))
    return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": key.arn}


async def generate_data_key_without_plaintext(
    ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    key = lookup.usable(ring, ctx, params["KeyId"])
    size = _data_key_size(params)
    _dry_run(params)
    blob = _seal(ring, key, os.urandom(size), params.get("EncryptionContext"))
    return {"CiphertextBlob": blob, "KeyId": key.arn}


async def generate_random(ring: LocalKeyRing, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    if params.get("CustomKeyStoreId"):
        raise errors.unsupported("Custom key stores are not supported.")
    if params.get("Recipient"):
        raise errors.unsupported("Recipient (Nitro Enclaves attestation) is not supported.")
    count = params.get("NumberOfBytes")
    if count is None:
        raise errors.constraint(None, "numberOfBytes", "Member must not be null")
    return {"Plaintext": os.urandom(count)}
