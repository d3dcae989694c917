"""Code packages: the blob store under the "functions" owner; packages an earlier version kept in
the metadata store move there at start; blobs no key names are deleted at start."""

from __future__ import annotations

import asyncio

from headwater.engine.memory import MemoryEngine
from headwater.services.functions.packages import INDEX, LEGACY, OWNER, Packages


def test_legacy_packages_move_to_the_blob_store_and_orphans_go() -> None:
    async def scenario() -> None:
        engine = MemoryEngine()
        await engine.start()
        await engine.meta.put(LEGACY, "abc", b"zip bytes")
        writer = engine.blobs.create(None, 3, owner=OWNER)  # a crash's leftover: no key names it
        await writer.write(b"old")
        orphan = await writer.commit()
        s3_writer = engine.blobs.create(None, 2)  # the default owner's: not ours to judge
        await s3_writer.write(b"s3")
        s3_blob = await s3_writer.commit()
        packages = Packages(engine.meta, engine.blobs)
        await packages.start()
        assert engine.meta.get(LEGACY, "abc") is None and engine.meta.get(INDEX, "abc") is not None
        assert await packages.get("abc") == b"zip bytes"
        assert engine.blobs.size(orphan) is None and engine.blobs.size(s3_blob) == 2
        await packages.forget("abc", ["abc"])  # still named: kept
        assert await packages.get("abc") == b"zip bytes"
        await packages.forget("abc", [])
        assert await packages.get("abc") is None and list(engine.blobs.ids(OWNER)) == []
        await engine.close()

    asyncio.run(scenario())
