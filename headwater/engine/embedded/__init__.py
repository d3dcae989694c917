"""The embedded engine: SQLite (standard library), one writer thread with group commit."""

from headwater.engine.embedded.engine import EmbeddedEngine
from headwater.engine.embedded.writer import EngineFailed

__all__ = ["EmbeddedEngine", "EngineFailed"]
