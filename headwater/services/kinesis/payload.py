"""How a record is stored: one engine log entry whose payload is `flags | key length | key | data`.

While a stream is encrypted, data is AES-GCM ciphertext sealed under the stream's key (the key id
travels inside the ciphertext, so records written under an older key still open after a key change).

As on AWS, a KMS key that is disabled, pending deletion or deleted fails both the writes that
would seal under it and the reads of records sealed under it (KMSDisabledException,
KMSInvalidStateException, KMSNotFoundException); the records stay in the log untouched, so
re-enabling the key (or cancelling its deletion) makes them readable again.
"""

from __future__ import annotations

import struct

from headwater.services.kinesis.errors import kms_error
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Stream
from headwater.services.ports import KeyRingError

_KEY_LEN = struct.Struct(">H")
PLAIN, ENCRYPTED = 0, 1


def encode_payload(core: KinesisCore, stream: Stream, key: bytes, data: bytes) -> bytes:
    if stream.encryption == "KMS" and stream.key_id:
        try:
            sealed = core.keystore.seal(stream.account, stream.region, stream.key_id, data, key)
        except KeyRingError as exc:
            raise kms_error(exc) from None
        return bytes((ENCRYPTED,)) + _KEY_LEN.pack(len(key)) + key + sealed
    return bytes((PLAIN,)) + _KEY_LEN.pack(len(key)) + key + data


def decode_payload(core: KinesisCore, stream: Stream, payload: bytes) -> tuple[str, bytes, bool]:
    (key_len,) = _KEY_LEN.unpack_from(payload, 1)
    key = payload[3 : 3 + key_len]
    data = payload[3 + key_len :]
    if payload[0] == ENCRYPTED:
        try:
            return key.decode(), core.keystore.open(data, key), True
        except KeyRingError as exc:
            raise kms_error(exc) from None
    return key.decode(), data, False
