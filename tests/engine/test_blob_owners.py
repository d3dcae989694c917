"""Blob owners (engine/api.py BlobStore): each owner lists, reads and deletes its own blobs only, on
every engine; the embedded engine keeps them across restarts and reads a data directory written
before owners existed as the default owner's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from headwater.engine.api import BlobStore, Engine
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.embedded.engine import DB_NAME
from tests.engine.runner import RunEngine, runner
from tests.engine.test_blob_contract import MIB, data_of, get, put, run_blobs  # noqa: F401

SMALL, LARGE = 1000, 2 * MIB + 3  # a row and a file in the embedded engine


async def _one_of_each(store: BlobStore) -> dict[str, bytes]:
    """Blobs of the default owner and of two named ones, small and large: id -> bytes."""
    stored: dict[str, bytes] = {}
    for owner in ("", "functions", "other-owner"):
        for size in (SMALL, LARGE):
            data = data_of(size, size + len(owner))
            writer = store.create(None, size, owner=owner)
            await writer.write(data)
            stored[await writer.commit()] = data
    return stored


def test_owners_see_only_their_blobs(run_blobs: RunEngine) -> None:  # noqa: F811
    async def body(engine: Engine) -> None:
        store = engine.blobs
        stored = await _one_of_each(store)
        default = set(store.ids())
        functions = set(store.ids("functions"))
        assert len(default) == len(functions) == 2 and default.isdisjoint(functions)
        assert all(blob_id.startswith("functions:") for blob_id in functions)
        assert not any(":" in blob_id for blob_id in default)  # default ids are as they always were
        assert set(store.ids("nobody")) == set()
        for blob_id, data in stored.items():
            assert await get(store, blob_id) == data and store.size(blob_id) == len(data)
        # an id of one owner under another's name is no blob at all
        for blob_id in default:
            assert store.size(f"functions:{blob_id}") is None
            with pytest.raises(KeyError):
                await get(store, f"functions:{blob_id}")
        await store.delete([f"other-owner:{blob_id}" for blob_id in default])  # names nothing
        assert set(store.ids()) == default
        await store.delete(sorted(functions))
        assert set(store.ids("functions")) == set() and set(store.ids()) == default
        assert len(set(store.ids("other-owner"))) == 2

    run_blobs(body)


@pytest.mark.parametrize("owner", ["Upper", "../up", "a:b", "x" * 40, "1st"])
def test_malformed_owner_is_refused(run_blobs: RunEngine, owner: str) -> None:  # noqa: F811
    async def body(engine: Engine) -> None:
        with pytest.raises(ValueError):
            engine.blobs.create(None, 10, owner=owner)
        assert engine.blobs.size(f"{owner}:f{'0' * 32}") is None

    run_blobs(body)


def test_owned_blobs_survive_restart_and_reset(tmp_path: Path) -> None:
    run = runner(lambda: EmbeddedEngine(tmp_path / "data", "durable"))
    stored: dict[str, bytes] = {}

    async def write(engine: Engine) -> None:
        stored.update(await _one_of_each(engine.blobs))

    async def check(engine: Engine) -> None:
        for blob_id, data in stored.items():
            assert await get(engine.blobs, blob_id) == data
        assert len(set(engine.blobs.ids("functions"))) == 2
        await engine.reset()
        assert [*engine.blobs.ids(), *engine.blobs.ids("functions")] == []

    run(write)
    run(check)


def test_data_dir_from_before_owners_is_the_default_owners(tmp_path: Path) -> None:
    run = runner(lambda: EmbeddedEngine(tmp_path / "data", "durable"))
    stored: dict[str, bytes] = {}

    async def write(engine: Engine) -> None:
        for size in (SMALL, LARGE):
            data = data_of(size)
            stored[await put(engine.blobs, data)] = data

    run(write)
    with sqlite3.connect(tmp_path / "data" / DB_NAME) as db:  # the schema of before
        db.execute("ALTER TABLE blobs DROP COLUMN owner")

    async def check(engine: Engine) -> None:
        assert set(engine.blobs.ids()) == set(stored)
        assert set(engine.blobs.ids("functions")) == set()
        for blob_id, data in stored.items():
            assert await get(engine.blobs, blob_id) == data
        stored.update(await _one_of_each(engine.blobs))
        assert len(set(engine.blobs.ids())) == 4

    run(check)
