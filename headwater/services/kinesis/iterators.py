"""Shard iterators: opaque, authenticated, expiring tokens that name a read position in a shard.

Theory of operation
-------------------
A shard iterator is all the state a GetRecords call needs, carried by the client: the stream
(account, region, name) and shard id, the position (the next log offset to read; never a time, which
is what made kinesalite return duplicates), the issue time for the 5-minute expiry, and a free-form
tag (e.g. the kind of iterator or the consumer that minted it). Nothing is stored server-side, so
iterators cost no memory and survive restarts as long as the caller persists the server key.

Encoding: `version byte | 96-bit random nonce | AES-GCM(plaintext)`, base64 with the standard
alphabet (what AWS uses). AES-GCM both hides the contents (clients must not parse iterators) and
authenticates them: a forged, truncated or edited token fails the tag check and is reported exactly
like garbage, "Invalid ShardIterator.". The version byte is the associated data, so a future format
can coexist. The worst case (128-character stream name, long region, 28-character shard id) gives
308 characters, under the 512 the model allows; `mint` refuses anything longer.

Expiry is judged when the iterator is opened: older than 300,000 ms gives AWS's
ExpiredIteratorException with its Java-style timestamps. AWS accepts an iterator wrapped in double
quotes (a common shell mistake), so we strip them before decoding.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from headwater.protocol.errors import AwsError

ITERATOR_TTL_MS = 300_000
MAX_ITERATOR_CHARS = 512

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = struct.Struct(">QQ")  # issued_ms, position
_FIELDS = 5  # account, region, stream name, shard id, tag: each a 1-byte length + UTF-8
_MIN_RAW = 1 + _NONCE_BYTES + _TAG_BYTES + _HEADER.size + _FIELDS

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class IteratorState:
    account: str
    region: str
    stream_name: str
    shard_id: str
    position: int  # the next log offset to read
    issued_ms: int
    tag: str = ""


def new_key() -> bytes:
    """A fresh server key for iterators (persist it, or iterators die with the process)."""
    return os.urandom(32)


@lru_cache(maxsize=8)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)  # raises ValueError unless the key is 16, 24 or 32 bytes


def mint(
    key: bytes,
    *,
    account: str,
    region: str,
    stream_name: str,
    shard_id: str,
    position: int,
    issued_ms: int,
    tag: str = "",
) -> str:
    """An iterator reading `shard_id` from log offset `position`, issued at `issued_ms`."""
    if position < 0 or issued_ms < 0:
        raise ValueError("position and issue time must be non-negative")
    parts = [_HEADER.pack(issued_ms, position)]
    for text in (account, region, stream_name, shard_id, tag):
        data = text.encode()
        if len(data) > 255:
            raise ValueError(f"iterator field too long: {text[:40]!r}...")
        parts += (bytes((len(data),)), data)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(key).encrypt(nonce, b"".join(parts), _VERSION)
    token = base64.b64encode(_VERSION + nonce + sealed).decode("ascii")
    if len(token) > MAX_ITERATOR_CHARS:
        raise ValueError(f"shard iterator would be {len(token)} characters, over {MAX_ITERATOR_CHARS}")
    return token


def open_iterator(key: bytes, token: str, now_ms: int) -> IteratorState:
    """Decodes and checks an iterator; InvalidArgumentException or ExpiredIteratorException."""
    if len(token) >= 2 and token[0] == token[-1] == '"':
        token = token[1:-1]
    state = _decode(key, token)
    if state is None:
        raise AwsError("InvalidArgumentException", "Invalid ShardIterator.")
    if now_ms - state.issued_ms > ITERATOR_TTL_MS:
        raise AwsError(
            "ExpiredIteratorException",
            f"Iterator expired. The iterator was created at time {java_date(state.issued_ms)} "
            f"while right now it is {java_date(now_ms)} which is further in the future than the "
            f"tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
        )
    return state


def _decode(key: bytes, token: str) -> IteratorState | None:
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
        return None
    if len(raw) < _MIN_RAW or raw[:1] != _VERSION:
        return None
    try:
        plain = _cipher(key).decrypt(raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :], _VERSION)
    except InvalidTag:
        return None
    # Authenticated, so the layout is ours; still parse defensively in case a key was reused.
    try:
        issued_ms, position = _HEADER.unpack_from(plain)
        fields: list[str] = []
        at = _HEADER.size
        for _ in range(_FIELDS):
            size = plain[at]
            fields.append(plain[at + 1 : at + 1 + size].decode())
            at += 1 + size
    except (IndexError, struct.error, UnicodeDecodeError):
        return None
    if at != len(plain):
        return None
    account, region, stream_name, shard_id, tag = fields
    return IteratorState(account, region, stream_name, shard_id, position, issued_ms, tag)


def java_date(ms: int) -> str:
    """`java.util.Date.toString()` in UTC, the style of AWS's messages: 'Tue Mar 26 02:51:52 UTC 2019'."""
    t = datetime.fromtimestamp(ms / 1000, UTC)
    return f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} {t:%H:%M:%S} UTC {t.year}"
