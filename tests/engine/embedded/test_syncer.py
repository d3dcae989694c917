"""Durable mode's fsync thread: nothing is acknowledged before the WAL's fsync, the writer commits on
meanwhile, and a failed fsync fails its batch and everything after it."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from headwater.engine.api import Entry
from headwater.engine.embedded import EmbeddedEngine, EngineFailed, syncer
from tests.engine.embedded.test_engine import count_rows


def test_acknowledged_only_after_the_wal_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate, syncing = threading.Event(), threading.Event()
    synced: list[int] = []
    real = syncer._sync_file

    def held(fd: int) -> None:  # the syncer thread, between COMMIT and the acknowledgement
        if not gate.is_set():
            syncing.set()
            assert gate.wait(10)
        real(fd)
        synced.append(fd)

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        monkeypatch.setattr(syncer, "_sync_file", held)
        monkeypatch.setattr(syncer, "HANDOFF_MIN_WAITING", 0)  # every fsync on the syncer thread
        _, first = engine.log.append("p", [Entry(1, b"one")])
        assert await asyncio.to_thread(syncing.wait, 10)
        _, second = engine.log.append("p", [Entry(2, b"two")])
        # the writer commits on while the fsync is held; nothing is acknowledged meanwhile
        deadline = asyncio.get_running_loop().time() + 10
        while count_rows(engine.path) < 2:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert not first.done() and not second.done()  # type: ignore[attr-defined]
        assert engine.log.committed_offset("p") == 0
        gate.set()
        await asyncio.gather(first, second)
        assert synced and engine.log.committed_offset("p") == 2
        await engine.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_an_idle_writer_syncs_itself_before_acknowledging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, syncing = threading.Event(), threading.Event()
    threads: list[str] = []
    real = syncer._sync_file

    def held(fd: int) -> None:
        threads.append(threading.current_thread().name)
        syncing.set()
        assert gate.wait(10)
        real(fd)

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")
        monkeypatch.setattr(syncer, "_sync_file", held)
        _, done = engine.log.append("p", [Entry(1, b"one")])
        assert await asyncio.to_thread(syncing.wait, 10)
        await asyncio.sleep(0.05)
        assert not done.done() and engine.log.committed_offset("p") == 0  # type: ignore[attr-defined]
        gate.set()
        await done
        assert engine.log.committed_offset("p") == 1
        assert threads[0] == "headwater-engine-writer"  # nothing waited: no hand-off
        await engine.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_failed_fsync_fails_the_batch_and_what_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        await engine.log.create_partition("p")

        def broken(fd: int) -> None:
            raise OSError(5, os.strerror(5))

        monkeypatch.setattr(syncer, "_sync_file", broken)
        _, done = engine.log.append("p", [Entry(1, b"lost")])
        with pytest.raises(EngineFailed):
            await done
        with pytest.raises(EngineFailed):
            await engine.log.append("p", [Entry(2, b"after")])[1]
        assert engine.log.committed_offset("p") == 0
        await engine.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_fast_mode_has_no_syncer(tmp_path: Path) -> None:
    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", "fast")
        await engine.start()
        assert engine._writer._syncer is None
        await engine.log.create_partition("p")
        await engine.log.append("p", [Entry(1, b"x")])[1]
        await engine.close()

    asyncio.run(main())
