"""Receipt handles: opaque, authenticated tokens naming one receive of one message.

Theory of operation. A handle carries (queue id, message seq, receive token). The plaintext
``version | seq (8 bytes) | token (8 bytes) | queue id (UTF-8)`` is authenticated with
HMAC-SHA256 truncated to 16 bytes, and that tag doubles as the nonce of a SHAKE-256 keystream that
hides the plaintext (a deterministic, SIV-style construction: the same receive always yields the
same handle, which ReceiveRequestAttemptId retries rely on). The wire form is
``tag | ciphertext`` in base64 with ``_`` and ``.`` for ``+`` and ``/`` and no padding: URL-safe
and free of ``-``, because the SQS extended clients split modified handles on ``-`` and keep the
last piece. Decoding accepts only the canonical encoding, so each handle has exactly one spelling.

A handle proves only that we issued it; whether the receive it names is still current (the
token) is the queue's business.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac

_VERSION = 1
_TAG = 16
_FIXED = 1 + 8 + 8  # version, seq, token
_MAX_QUEUE_ID = 512  # bytes; real ids (account/name) are under 100
_MAX_HANDLE = (_TAG + _FIXED + _MAX_QUEUE_ID) * 4 // 3 + 3
_TO_WIRE = bytes.maketrans(b"+/", b"_.")
_FROM_WIRE = bytes.maketrans(b"_.", b"+/")
_U64 = 1 << 64


class ReceiptHandles:
    """Encodes and decodes receipt handles under one secret key."""

    __slots__ = ("_inner", "_outer", "_stream_key")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("receipt handle key must be at least 16 bytes")
        # separate keys for the tag and the keystream, both derived from the one secret
        mac_key = hmac.digest(key, b"headwater/sqs/receipt/mac", "sha256")
        self._stream_key = hmac.digest(key, b"headwater/sqs/receipt/stream", "sha256")
        # HMAC (RFC 2104) with its two padded-key states hashed once: a copy per message is
        # ~2.5x cheaper than hmac.digest, which re-derives them on every call
        padded = mac_key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def encode(self, queue_id: str, seq: int, token: int) -> str:
        if not (0 <= seq < _U64 and 0 <= token < _U64):
            raise ValueError("seq and token must fit in 64 unsigned bits")
        qid = queue_id.encode("utf-8")
        if len(qid) > _MAX_QUEUE_ID:
            raise ValueError("queue id too long for a receipt handle")
        plain = bytes((_VERSION,)) + seq.to_bytes(8, "big") + token.to_bytes(8, "big") + qid
        tag = self._tag(plain)
        return _wire(tag + _xor(plain, self._keystream(tag, len(plain))))

    def decode(self, handle: object) -> tuple[str, int, int] | None:
        """(queue id, seq, token), or None for anything we did not issue under this key."""
        if not isinstance(handle, str) or not (0 < len(handle) <= _MAX_HANDLE):
            return None
        try:
            wire = handle.encode("ascii").translate(_FROM_WIRE)
            raw = binascii.a2b_base64(wire + b"=" * (-len(wire) % 4))
        except (binascii.Error, UnicodeEncodeError):
            return None
        # only the canonical spelling passes: this rejects characters outside the alphabet (the
        # lenient decoder skips them, "+" and "/" decode as themselves) and stray low bits in the
        # last character, so one handle has exactly one spelling
        if len(raw) < _TAG + _FIXED or _wire(raw) != handle:
            return None
        tag, body = raw[:_TAG], raw[_TAG:]
        plain = _xor(body, self._keystream(tag, len(body)))
        if not hmac.compare_digest(self._tag(plain), tag):
            return None
        if plain[0] != _VERSION:
            return None
        try:
            queue_id = plain[_FIXED:].decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - authenticated, so we wrote it
            return None
        return queue_id, int.from_bytes(plain[1:9], "big"), int.from_bytes(plain[9:17], "big")

    def _tag(self, plain: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(plain)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:_TAG]

    def _keystream(self, tag: bytes, length: int) -> bytes:
        return hashlib.shake_256(self._stream_key + tag).digest(length)


def _wire(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).translate(_TO_WIRE).rstrip(b"=").decode("ascii")


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")
