"""How a record is stored: one engine log entry whose payload is `flags | key length | key | data`.

While a stream is encrypted, data is AES-GCM ciphertext sealed under the stream's key (the key id
travels inside the ciphertext, so records written under an older key still open after a key change).
"""

from __future__ import annotations

import struct

from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Stream

_KEY_LEN = struct.Struct(">H")
PLAIN, ENCRYPTED = 0, 1


def encode_payload(core: KinesisCore, stream: Stream, key: bytes, data: bytes) -> bytes:
    if stream.encryption == "KMS" and stream.key_id:
        sealed = core.keystore.seal(stream.account, stream.region, stream.key_id, data, key)
        return bytes((ENCRYPTED,)) + _KEY_LEN.pack(len(key)) + key + sealed
    return bytes((PLAIN,)) + _KEY_LEN.pack(len(key)) + key + data


def decode_payload(core: KinesisCore, stream: Stream, payload: bytes) -> tuple[str, bytes, bool]:
    (key_len,) = _KEY_LEN.unpack_from(payload, 1)
    key = payload[3 : 3 + key_len]
    data = payload[3 + key_len :]
    if payload[0] == ENCRYPTED:
        return key.decode(), core.keystore.open(data, key), True
    return key.decode(), data, False
