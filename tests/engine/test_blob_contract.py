"""The blob store contract (engine/api.py BlobStore), run against every implementation, then the
embedded store's specifics: files and rows on disk, restart, temp files, bounded memory, fsyncs."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import random
import sqlite3
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.engine.api import BlobStore, Engine
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.embedded.blobs import ROW_THRESHOLD
from headwater.engine.memory import MemoryEngine
from headwater.engine.memory_blobs import CHUNK, INLINE_OBSERVE_MAX
from tests.engine.runner import RunEngine, runner

MIB = 1 << 20

VARIANTS: dict[str, Callable[[Path], Engine]] = {
    "memory": lambda _: MemoryEngine(),
    "durable": lambda d: EmbeddedEngine(d, "durable"),
    "fast": lambda d: EmbeddedEngine(d, "fast"),
}
# Sizes on both sides of the row threshold and of the 1 MiB buffer.
SIZES = [0, 1, 1000, ROW_THRESHOLD, ROW_THRESHOLD + 1, 3 * MIB + 7]


@pytest.fixture(params=list(VARIANTS))
def run_blobs(request: pytest.FixtureRequest, tmp_path: Path) -> RunEngine:
    return runner(lambda: VARIANTS[request.param](tmp_path / "data"))


@pytest.fixture(params=["durable", "fast"])
def run_embedded(request: pytest.FixtureRequest, tmp_path: Path) -> RunEngine:
    return runner(lambda: EmbeddedEngine(tmp_path / "data", request.param))


def data_of(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


async def put(
    store: BlobStore,
    data: bytes,
    hint: int | None | str = "exact",
    chunk: int = 65536,
    observe: Callable[[bytes], None] | None = None,
) -> str:
    """Writes `data` in chunks of `chunk` bytes; `hint` "exact" declares its real size."""
    writer = store.create(observe, len(data) if hint == "exact" else hint)  # type: ignore[arg-type]
    for i in range(0, len(data), chunk):
        await writer.write(data[i : i + chunk])
    assert writer.size == len(data)
    return await writer.commit()


async def get(store: BlobStore, blob_id: str, start: int = 0, end: int | None = None) -> bytes:
    chunks = [chunk async for chunk in store.read(blob_id, start, end)]
    assert all(0 < len(chunk) <= CHUNK for chunk in chunks)
    return b"".join(chunks)


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("hint", ["exact", None])
def test_write_commit_read_back(run_blobs: RunEngine, hint: str | None) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        for size in SIZES:
            data = data_of(size, size)
            blob_id = await put(store, data, hint)
            assert store.size(blob_id) == size
            assert await get(store, blob_id) == data, size

    run_blobs(body)


@pytest.mark.parametrize("size", [1000, ROW_THRESHOLD + 1, 3 * MIB + 7])
@pytest.mark.parametrize("hint", ["exact", None])
def test_range_reads(run_blobs: RunEngine, size: int, hint: str | None) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        data = data_of(size, 1)
        blob_id = await put(store, data, hint, chunk=7777)
        ranges = [
            (0, 10),
            (5, None),
            (size - 1, size),
            (size - 1, None),
            (0, size + 100),  # past the end: cut at the end
            (10, 10),  # start == end: nothing
            (size, None),  # at the end: nothing
            (size + 5, size + 10),  # beyond the end: nothing
            (size // 3, size // 3 * 2),
            (MIB - 3, MIB + 3),  # across a chunk boundary
        ]
        for start, end in ranges:
            assert await get(store, blob_id, start, end) == data[start:end], (start, end)
        with pytest.raises(ValueError):
            await get(store, blob_id, -1)
        with pytest.raises(ValueError):
            await get(store, blob_id, 10, 5)

    run_blobs(body)


@pytest.mark.parametrize("hint", ["exact", None])
def test_observe_sees_every_byte_in_order_large_buffers_off_the_loop(
    run_blobs: RunEngine, hint: str | None
) -> None:
    async def body(engine: Engine) -> None:
        loop_thread = threading.get_ident()
        for size in [1000, ROW_THRESHOLD, 3 * MIB + 7]:
            seen: list[tuple[bytes, int]] = []
            data = data_of(size, 2)
            rng = random.Random(size)
            writer = engine.blobs.create(
                lambda b: seen.append((bytes(b), threading.get_ident())),  # noqa: B023
                size if hint == "exact" else None,
            )
            pos = 0
            while pos < size:  # odd chunk sizes
                step = rng.randint(1, 200_000)
                await writer.write(data[pos : pos + step])
                pos += step
            blob_id = await writer.commit()
            assert b"".join(b for b, _ in seen) == data
            assert all(thread != loop_thread for b, thread in seen if len(b) > INLINE_OBSERVE_MAX)
            assert await get(engine.blobs, blob_id) == data

    run_blobs(body)


@pytest.mark.parametrize("size", [1000, 3 * MIB])
def test_abort_leaves_nothing(run_blobs: RunEngine, size: int) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        kept = await put(store, b"kept")
        for hint in (size, None):
            writer = store.create(None, hint)
            await writer.write(data_of(size))
            await writer.write(b"more")
            await writer.abort()
            await writer.abort()  # idempotent
            with pytest.raises(RuntimeError):
                await writer.write(b"x")
            with pytest.raises(RuntimeError):
                await writer.commit()
        assert list(store.ids()) == [kept]
        assert_no_temp_files(engine)

    run_blobs(body)


def test_abort_after_commit_keeps_the_blob_and_commit_is_once(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        for hint in (3, None):
            writer = engine.blobs.create(None, hint)
            await writer.write(b"abc")
            blob_id = await writer.commit()
            with pytest.raises(RuntimeError):
                await writer.commit()
            with pytest.raises(RuntimeError):
                await writer.write(b"d")
            await writer.abort()  # a `finally` after a commit
            assert await get(engine.blobs, blob_id) == b"abc"

    run_blobs(body)


def test_failing_observer_fails_the_write_and_abort_cleans_up(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        for size, hint in [(1000, 1000), (3 * MIB, None)]:
            seen = 0

            def observe(chunk: bytes, limit: int = size // 2) -> None:
                nonlocal seen
                seen += len(chunk)
                if seen > limit:
                    raise ValueError("digest engine broke")

            writer = store.create(observe, hint)
            data = data_of(size)
            with pytest.raises(ValueError, match="digest engine broke"):
                for i in range(0, size, 65536):
                    await writer.write(data[i : i + 65536])
                await writer.commit()
            with pytest.raises(RuntimeError):
                await writer.commit()
            await writer.abort()
        assert list(store.ids()) == []
        assert_no_temp_files(engine)

    run_blobs(body)


def test_mutable_chunks_are_copied(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        for hint in (20, None):
            buffer = bytearray(b"0123456789")
            writer = engine.blobs.create(None, hint)
            await writer.write(buffer)  # type: ignore[arg-type]
            buffer[:] = b"abcdefghij"
            await writer.write(memoryview(buffer))  # type: ignore[arg-type]
            buffer[:] = b"XXXXXXXXXX"
            blob_id = await writer.commit()
            assert await get(engine.blobs, blob_id) == b"0123456789abcdefghij"

    run_blobs(body)


@pytest.mark.parametrize("blob_id", ["m999", "r999", "r0", "r-1", "f" + "0" * 32, "f123", "garbage", ""])
def test_unknown_id_raises_key_error_on_first_iteration(run_blobs: RunEngine, blob_id: str) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        chunks = store.read(blob_id)  # no error yet
        with pytest.raises(KeyError):
            await anext(chunks)
        assert store.size(blob_id) is None
        await store.delete([blob_id])  # ignored

    run_blobs(body)


def test_delete_ids_size_and_never_reused(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        store = engine.blobs
        blobs = {
            await put(store, data_of(size, size), hint): size for size in SIZES for hint in ("exact", None)
        }
        assert len(blobs) == 2 * len(SIZES)  # ids are unique
        assert sorted(store.ids()) == sorted(blobs)
        doomed = list(blobs)[::2]
        await store.delete([*doomed, "r424242", "unknown"])
        for blob_id, size in blobs.items():
            if blob_id in doomed:
                assert store.size(blob_id) is None
                with pytest.raises(KeyError):
                    await get(store, blob_id)
            else:
                assert store.size(blob_id) == size
                assert await get(store, blob_id) == data_of(size, size)
        assert sorted(store.ids()) == sorted(set(blobs) - set(doomed))
        fresh = {await put(store, b"again", hint) for hint in ("exact", None)}
        assert not fresh & set(blobs)  # deleted ids are not handed out again
        await store.delete([])

    run_blobs(body)


def test_uncommitted_blobs_are_not_listed(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        writers = [engine.blobs.create(None, hint) for hint in (10, None)]
        for writer in writers:
            await writer.write(data_of(2 * MIB))
        assert list(engine.blobs.ids()) == []
        ids = [await writer.commit() for writer in writers]
        assert sorted(engine.blobs.ids()) == sorted(ids)

    run_blobs(body)


def test_a_blob_deleted_while_read_reads_to_the_end(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        data = data_of(3 * MIB + 5)
        blob_id = await put(engine.blobs, data, None)
        chunks = engine.blobs.read(blob_id)
        got = [await anext(chunks)]
        await engine.blobs.delete([blob_id])
        got += [chunk async for chunk in chunks]
        assert b"".join(got) == data
        assert engine.blobs.size(blob_id) is None

    run_blobs(body)


def test_reading_only_part_of_a_blob_releases_it(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        blob_id = await put(engine.blobs, data_of(4 * MIB), None)
        for _ in range(3):
            chunks = engine.blobs.read(blob_id)
            assert len(await anext(chunks)) == CHUNK
            await chunks.aclose()  # type: ignore[attr-defined]  # a client that went away
        await engine.blobs.delete([blob_id])

    run_blobs(body)


def test_reset_clears_every_blob(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        ids = [
            await put(engine.blobs, data_of(size), hint) for size in (10, 3 * MIB) for hint in ("exact", None)
        ]
        await engine.reset()
        assert list(engine.blobs.ids()) == []
        for blob_id in ids:
            assert engine.blobs.size(blob_id) is None
        blob_id = await put(engine.blobs, b"after reset", None)
        assert await get(engine.blobs, blob_id) == b"after reset"

    run_blobs(body)


def test_many_concurrent_writers(run_blobs: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        sizes = [0, 10, 1000, 60_000, ROW_THRESHOLD, 300_000, 1_500_000] * 6

        async def one(i: int, size: int) -> tuple[str, bytes, bytes]:
            data = data_of(size, i)
            digest = hashlib.md5()
            rng = random.Random(i)
            writer = engine.blobs.create(digest.update, size if i % 2 else None)
            pos = 0
            while pos < size:
                step = rng.randint(1, 100_000)
                await writer.write(data[pos : pos + step])
                pos += step
                await asyncio.sleep(0)  # interleave with the others
            return await writer.commit(), data, digest.digest()

        results = await asyncio.gather(*(one(i, size) for i, size in enumerate(sizes)))
        assert len({blob_id for blob_id, _, _ in results}) == len(sizes)
        for blob_id, data, digest in results:
            assert digest == hashlib.md5(data).digest()
            assert await get(engine.blobs, blob_id) == data
        assert sorted(engine.blobs.ids()) == sorted(blob_id for blob_id, _, _ in results)

    run_blobs(body)


# --- the embedded store ------------------------------------------------------------------------


def assert_no_temp_files(engine: Engine) -> None:
    if isinstance(engine, EmbeddedEngine):
        assert os.listdir(engine.data_dir / "blobs" / "tmp") == []


def row_count(engine: EmbeddedEngine) -> int:
    with sqlite3.connect(engine.path) as db:
        return db.execute("SELECT count(*) FROM blobs").fetchone()[0]


def test_small_blobs_are_rows_large_ones_files_and_delete_removes_them(run_embedded: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        assert isinstance(engine, EmbeddedEngine)
        store = engine.blobs
        row = await put(store, data_of(1000), "exact")
        at_threshold = await put(store, data_of(ROW_THRESHOLD), "exact")
        unknown_size = await put(store, data_of(1000), None)
        large = await put(store, data_of(ROW_THRESHOLD + 1), "exact")
        liar = await put(store, data_of(ROW_THRESHOLD * 2), 10)  # declared 10 bytes, sent more
        assert row.startswith("r") and at_threshold.startswith("r")
        assert all(b.startswith("f") for b in (unknown_size, large, liar))
        assert await get(store, liar) == data_of(ROW_THRESHOLD * 2)
        assert row_count(engine) == 2
        files = [Path(store.files.path(b) or "") for b in (unknown_size, large, liar)]
        assert [f.stat().st_size for f in files] == [1000, ROW_THRESHOLD + 1, ROW_THRESHOLD * 2]
        await store.delete([row, at_threshold, unknown_size, large, liar])
        assert row_count(engine) == 0
        assert not any(f.exists() for f in files)

    run_embedded(body)


def test_deleted_rows_give_the_file_space_back(run_embedded: RunEngine) -> None:
    async def body(engine: Engine) -> None:
        assert isinstance(engine, EmbeddedEngine)
        data = data_of(100_000)
        ids = await asyncio.gather(*(put(engine.blobs, data) for _ in range(200)))
        await engine.settle()
        full = engine.path.stat().st_size
        assert full > 200 * len(data)
        await engine.blobs.delete(ids)
        await engine.settle()
        assert engine.path.stat().st_size < full // 4

    run_embedded(body)


def test_blobs_survive_close_and_reopen_and_ids_are_not_reused(tmp_path: Path) -> None:
    async def first(data_dir: Path, durability: str) -> tuple[dict[str, bytes], str]:
        engine = EmbeddedEngine(data_dir, durability)  # type: ignore[arg-type]
        await engine.start()
        blobs = {}
        for size in SIZES:
            for hint in ("exact", None):
                blobs[await put(engine.blobs, data_of(size, size), hint)] = data_of(size, size)
        newest = await put(engine.blobs, b"newest row", "exact")
        await engine.blobs.delete([newest])
        await engine.close()
        return blobs, newest

    async def second(data_dir: Path, durability: str, blobs: dict[str, bytes], deleted: str) -> None:
        engine = EmbeddedEngine(data_dir, durability)  # type: ignore[arg-type]
        await engine.start()
        assert sorted(engine.blobs.ids()) == sorted(blobs)
        for blob_id, data in blobs.items():
            assert await get(engine.blobs, blob_id) == data
        again = await put(engine.blobs, b"after restart", "exact")
        assert again not in blobs and again != deleted  # not even the deleted newest row's id
        await engine.close()

    for durability in ("durable", "fast"):
        blobs, deleted = asyncio.run(first(tmp_path / durability, durability))
        asyncio.run(second(tmp_path / durability, durability, blobs, deleted))


def test_start_sweeps_temp_files_and_a_dropped_writer_leaves_none(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    async def main() -> None:
        engine = EmbeddedEngine(data_dir, "durable")
        await engine.start()
        await engine.close()
        stray = data_dir / "blobs" / "tmp" / "0123.tmp"
        stray.write_bytes(b"left by a crash")
        engine = EmbeddedEngine(data_dir, "durable")
        await engine.start()
        assert not stray.exists()

        writer = engine.blobs.create(None, None)  # a client that goes away mid-upload
        for _ in range(40):
            await writer.write(data_of(65536))
        assert os.listdir(data_dir / "blobs" / "tmp")
        del writer
        for _ in range(500):  # the pool call in flight holds the writer until it returns
            gc.collect()
            if not os.listdir(data_dir / "blobs" / "tmp"):
                break
            await asyncio.sleep(0.01)
        assert os.listdir(data_dir / "blobs" / "tmp") == []
        await engine.close()

    asyncio.run(main())


@pytest.mark.parametrize("durability", ["durable", "fast"])
def test_large_blob_streams_in_bounded_memory(tmp_path: Path, durability: str) -> None:
    size = 64 * MIB
    base = data_of(65536 + 16)

    def piece(i: int) -> bytes:  # a new object every time, like a request body's chunks
        return base[i % 16 : i % 16 + 65536]

    expected = hashlib.md5()
    for i in range(size // 65536):
        expected.update(piece(i))

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", durability)  # type: ignore[arg-type]
        await engine.start()
        try:
            tracemalloc.start()
            try:
                digest = hashlib.md5()
                writer = engine.blobs.create(digest.update, size)
                for i in range(size // 65536):
                    await writer.write(piece(i))
                blob_id = await writer.commit()
                _, written_peak = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
                read_back = hashlib.md5()
                async for chunk in engine.blobs.read(blob_id):
                    read_back.update(chunk)
                _, read_peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert digest.digest() == read_back.digest() == expected.digest()
            assert engine.blobs.size(blob_id) == size
            # ~2 MiB of buffers in flight (writing), 2 chunks (reading): far below the blob's size
            assert written_peak < 8 * MIB, written_peak
            assert read_peak < 8 * MIB, read_peak
        finally:
            await engine.close()

    asyncio.run(main())


@pytest.mark.parametrize(("durability", "synced"), [("durable", True), ("fast", False)])
def test_commit_fsyncs_only_in_durable_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durability: str, synced: bool
) -> None:
    calls: list[str] = []
    fdatasync, fsync = os.fdatasync, os.fsync

    def spy_fdatasync(fd: int) -> None:
        calls.append("fdatasync")
        fdatasync(fd)

    def spy_fsync(fd: int) -> None:
        calls.append("fsync")
        fsync(fd)

    async def main() -> None:
        engine = EmbeddedEngine(tmp_path / "data", durability)  # type: ignore[arg-type]
        await engine.start()
        monkeypatch.setattr(os, "fdatasync", spy_fdatasync)
        monkeypatch.setattr(os, "fsync", spy_fsync)
        await put(engine.blobs, data_of(2 * MIB), None)
        monkeypatch.undo()
        await engine.close()

    asyncio.run(main())
    if synced:
        assert calls.count("fdatasync") == 1 and "fsync" in calls  # the file, then its directory
    else:
        assert calls == []
