"""Receipt handles: an opaque token naming one receive of one record by one queue.

The fields are (queue id, shard id, log offset, generation, side); the token is their URL-safe
base64, so it needs no server-side table and stays valid across restarts. A tampered or foreign
token fails to parse and is reported per entry as InvalidArgumentException.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

NORMAL, DEAD = "n", "d"


@dataclass(frozen=True, slots=True)
class Handle:
    queue_id: str
    shard_id: str
    offset: int
    generation: int
    side: str  # NORMAL or DEAD

    def encode(self) -> str:
        raw = f"{self.queue_id}|{self.shard_id}|{self.offset}|{self.generation}|{self.side}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse(token: str) -> Handle | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        queue_id, shard_id, offset, generation, side = raw.split("|")
        handle = Handle(queue_id, shard_id, int(offset), int(generation), side)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return handle if side in (NORMAL, DEAD) and handle.offset >= 0 else None
