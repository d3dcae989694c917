"""Identifiers and nonces without a system call per use.

`os.urandom` releases the GIL for its syscall, and getting it back can wait out the switch interval
while the engine's writer thread runs Python code: one call per message measured ~15 µs on the loop
thread under load. Request and message ids need uniqueness, not secrecy, so they come from a
Mersenne Twister seeded once from the OS; AES-GCM nonces need uniqueness per key, so they are a
random 8-byte prefix (drawn again every 2**32 nonces) and a counter (NIST SP 800-38D, 8.2.1).
"""

from __future__ import annotations

import os
import random

_rng = random.Random(os.urandom(32))


def new_uuid() -> str:
    """A random (version 4) UUID string, as AWS formats request and message ids."""
    bits = _rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def random_bytes(count: int) -> bytes:
    """Non-secret random bytes (opaque ids such as x-amz-id-2)."""
    return _rng.randbytes(count)


class Nonces:
    """Unique 12-byte nonces: 8 random bytes, then a 32-bit counter."""

    def __init__(self) -> None:
        self._prefix = os.urandom(8)
        self._counter = 0

    def next(self) -> bytes:
        self._counter += 1
        if self._counter >= 1 << 32:
            self._prefix, self._counter = os.urandom(8), 1
        return self._prefix + self._counter.to_bytes(4, "big")
