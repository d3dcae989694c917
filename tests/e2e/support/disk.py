"""What a server left in its data directory: the proof of at-rest behaviour (encryption, space)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.support.server import FAST, Server, running


@contextmanager
def at_rest(data_dir: Path) -> Iterator[Server]:
    """A server on `data_dir` for the block; it must then stop cleanly, so all it wrote is on disk."""
    with running(data_dir, *FAST, exits_cleanly=True) as server:
        yield server


def marker(label: str) -> bytes:
    """A recognisable, unique plaintext to look for on disk."""
    return f"HEADWATER-{label}-{uuid.uuid4().hex}".encode()


def on_disk(data_dir: Path) -> bytes:
    """Every byte the server left in its data directory (database, WAL, anything else)."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.rglob("*")) if path.is_file())


def dir_size(path: Path) -> int:
    """Bytes of the regular files under `path` (a file vanishing mid-walk counts as 0)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total
