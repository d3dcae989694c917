"""Builds the engine for a durability mode."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from headwater.engine.api import Engine


def open_engine(durability: Literal["durable", "fast", "memory"], data_dir: Path) -> Engine:
    """An engine ready for `await engine.start()`. `memory` keeps nothing on disk; `durable`
    acknowledges an append once it is fsynced; `fast` once it is written (survives a process
    crash, not a power cut). The embedded engines create `data_dir` on start."""
    if durability == "memory":
        from headwater.engine.memory import MemoryEngine

        return MemoryEngine()
    if durability in ("durable", "fast"):
        from headwater.engine.embedded import EmbeddedEngine

        return EmbeddedEngine(Path(data_dir), durability)
    raise ValueError(f"unknown durability mode {durability!r}")
