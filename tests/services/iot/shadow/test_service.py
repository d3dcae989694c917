"""The shadow service over a memory engine: MQTT requests through the tap, REST through the port,
one store; answers published only after the write; listing, history, the in-flight limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

import pytest

from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.services.iot.contracts import InboundPublish
from headwater.services.iot.shadow.service import Shadows
from headwater.services.iot.shadow.store import HISTORY
from headwater.services.ports import ShadowError

A, R = "123456789012", "us-east-1"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None:
        self.events.append((topic, json.loads(payload)))

    def on(self, suffix: str) -> list[dict[str, Any]]:
        return [body for topic, body in self.events if topic.endswith(suffix)]


def _shadows(history: float = 3600.0) -> tuple[Shadows, Recorder, TestClock]:
    clock = TestClock()
    shadows = Shadows(MemoryEngine().ordered, clock, history)
    shadows.publisher = recorder = Recorder()
    return shadows, recorder, clock


def _mqtt(topic: str, body: Any, client: str | None = "dev") -> InboundPublish:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return InboundPublish(A, R, topic, payload, 1, False, client, None, 0)


async def _settle(wait: Awaitable[None] | None) -> None:
    if wait is not None:
        await wait


def test_mqtt_update_answers_after_the_write_and_rest_sees_it() -> None:
    async def body() -> None:
        shadows, events, _ = _shadows()
        wait = shadows.published(_mqtt("$aws/things/t/shadow/update", {"state": {"desired": {"on": True}}}))
        assert wait is not None and events.events == []  # nothing said before the write is stored
        await wait
        assert [topic.rsplit("/", 2)[-2:] for topic, _ in events.events] == [
            ["update", "accepted"],
            ["update", "delta"],
            ["update", "documents"],
        ]
        got = json.loads(shadows.get(A, R, "t", None))
        assert got["state"]["delta"] == {"on": True}
        accepted = json.loads(await shadows.update(A, R, "t", None, b'{"state":{"reported":{"on":true}}}'))
        assert accepted["version"] == 2 and len(events.on("/update/delta")) == 1

    asyncio.run(body())


def test_other_topics_are_ignored_and_errors_are_rejected() -> None:
    async def body() -> None:
        shadows, events, _ = _shadows()
        for topic in (
            "a/b",
            "$aws/things/t/shadow/update/accepted",
            "$aws/things/t/shadow/name/n",
            "$aws/things//shadow/get",
        ):
            assert shadows.published(_mqtt(topic, b"{}")) is None
        assert events.events == []
        await _settle(shadows.published(_mqtt("$aws/things/t/shadow/name/n/get", {"clientToken": "c"})))
        assert events.on("/get/rejected") == [
            {
                "code": 404,
                "message": "No shadow exists with name: 'n'",
                "timestamp": events.on("/get/rejected")[0]["timestamp"],
                "clientToken": "c",
            }
        ]

    asyncio.run(body())


def test_in_flight_limit_per_connection() -> None:
    async def body() -> None:
        shadows, events, _ = _shadows()
        waits = [
            shadows.published(_mqtt("$aws/things/t/shadow/update", {"state": {"reported": {"n": n}}}))
            for n in range(12)
        ]
        assert sum(w is None for w in waits) == 2
        assert [e["code"] for e in events.on("/update/rejected")] == [429, 429]
        other = shadows.published(_mqtt("$aws/things/t/shadow/update", {"state": {}}, client="other"))
        assert other is not None  # the limit is per connection
        for wait in [*waits, other]:
            await _settle(wait)
        assert json.loads(shadows.get(A, R, "t", None))["version"] == 11

    asyncio.run(body())


def test_listing_skips_classic_and_deleted_and_pages() -> None:
    async def body() -> None:
        shadows, _, _ = _shadows()
        await shadows.update(A, R, "t", None, b'{"state":{}}')
        for name in ("c", "a", "b", "d", "e"):
            await shadows.update(A, R, "t", name, b'{"state":{"reported":{"x":1}}}')
        await shadows.update(A, R, "t2", "zz", b'{"state":{}}')
        await shadows.delete(A, R, "t", "b")
        assert shadows.list_named(A, R, "t", None, 10) == (["a", "c", "d", "e"], None)
        page, marker = shadows.list_named(A, R, "t", None, 2)
        assert (page, marker) == (["a", "c"], "c")
        assert shadows.list_named(A, R, "t", marker, 2) == (["d", "e"], None)

    asyncio.run(body())


def test_history_window_and_continuity_window() -> None:
    async def body() -> None:
        shadows, _, clock = _shadows(history=60.0)
        await shadows.update(A, R, "t", None, b'{"state":{"desired":{"a":1}}}')
        clock.advance(120)
        await shadows.update(A, R, "t", None, b'{"state":{"desired":{"a":2}}}')
        assert [c["request"] for c in shadows.history(A, R, "t", None)] == [{"desired": {"a": 2}}]
        assert json.loads(await shadows.delete(A, R, "t", None))["version"] == 2
        with pytest.raises(ShadowError):
            shadows.get(A, R, "t", None)
        clock.advance(48 * 3600 + 1)
        accepted = json.loads(await shadows.update(A, R, "t", None, b'{"state":{"desired":{"a":3}}}'))
        assert accepted["version"] == 1

    asyncio.run(body())


class GatedStore:
    """An ordered store whose writes become durable only when the test opens the gate."""

    def __init__(self) -> None:
        self.inner = MemoryEngine().ordered
        self.gate: asyncio.Future[None] | None = None

    def get(self, namespace: str, key: str) -> bytes | None:
        return self.inner.get(namespace, key)

    def scan_range(
        self, namespace: str, start_after: str | None, prefix: str, limit: int
    ) -> list[tuple[str, bytes]]:
        return self.inner.scan_range(namespace, start_after, prefix, limit)

    def write(self, changes: Any) -> Awaitable[None]:
        self.inner.write(changes)
        self.gate = asyncio.get_running_loop().create_future()
        return self.gate


def test_reads_wait_for_the_change_being_stored() -> None:
    async def body() -> None:
        store = GatedStore()
        shadows = Shadows(store, TestClock(), 0.0)  # type: ignore[arg-type]
        shadows.publisher = events = Recorder()
        update = shadows.published(_mqtt("$aws/things/t/shadow/update", {"state": {"reported": {"a": 1}}}))
        get = shadows.published(_mqtt("$aws/things/t/shadow/get", b""))
        rest = asyncio.ensure_future(shadows.read(A, R, "t", None))
        assert update is not None and get is not None
        waiting = [asyncio.ensure_future(update), asyncio.ensure_future(get)]
        await asyncio.sleep(0)
        assert events.events == [] and not rest.done()
        assert store.gate is not None
        store.gate.set_result(None)
        await asyncio.gather(*waiting)
        assert json.loads(await rest)["version"] == 1
        assert [topic.rsplit("/", 2)[-2:] for topic, _ in events.events][-1] == ["get", "accepted"]
        assert json.loads(shadows.get(A, R, "t", None))["version"] == 1

    asyncio.run(body())


def test_a_delete_in_the_same_millisecond_keeps_the_update_in_the_history() -> None:
    async def body() -> None:
        shadows, _, clock = _shadows()
        clock.now_ms = lambda: 1_800_000_000_000  # type: ignore[method-assign]
        await shadows.update(A, R, "t", None, b'{"state":{"reported":{"a":1}}}')
        await shadows.delete(A, R, "t", None)
        assert [c["operation"] for c in shadows.history(A, R, "t", None)] == ["update", "delete"]

    asyncio.run(body())


class CountingStore(GatedStore):
    """Counts the ordered-store writes; each is durable when the test opens its gate."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[Any] = []

    def write(self, changes: Any) -> Awaitable[None]:
        self.writes.append(list(changes))
        return super().write(changes)


def test_one_turn_of_updates_is_one_write_answered_in_order() -> None:
    async def body() -> None:
        store = CountingStore()
        shadows = Shadows(store, TestClock(), 3600.0)  # type: ignore[arg-type]
        shadows.publisher = events = Recorder()
        waits = [
            shadows.published(_mqtt(f"$aws/things/{thing}/shadow/update", {"state": {"reported": {"n": n}}}))
            for n, thing in enumerate(["a", "b", "a", "c", "a"])
        ]
        assert all(wait is not None for wait in waits)
        await asyncio.sleep(0)
        # three shadows (the newest row of each) and the one history row of the turn
        assert len(store.writes) == 1 and len(store.writes[0]) == 4
        assert events.events == [] and store.gate is not None
        store.gate.set_result(None)
        await asyncio.gather(*[w for w in waits if w is not None])
        accepted = [
            (topic.split("/")[2], body["version"]) for topic, body in events.events if "accepted" in topic
        ]
        assert accepted == [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3)]
        assert json.loads(shadows.get(A, R, "a", None))["state"] == {"reported": {"n": 4}}

    asyncio.run(body())


def test_a_refused_update_leaves_the_cached_shadow_as_it_was() -> None:
    async def body() -> None:
        shadows, events, _ = _shadows()
        await shadows.update(A, R, "t", None, b'{"state":{"reported":{"a":{"b":1},"c":[1]}}}')
        big = json.dumps({"state": {"reported": {"a": {"d": "x" * 9000}}}}).encode()
        assert shadows.published(_mqtt("$aws/things/t/shadow/update", big)) is None
        assert events.on("/update/rejected")[-1]["code"] == 413
        await shadows.update(A, R, "t", None, b'{"state":{"reported":{"e":2}}}')
        now = json.loads(shadows.get(A, R, "t", None))
        assert now["version"] == 2 and now["state"] == {"reported": {"a": {"b": 1}, "c": [1], "e": 2}}
        assert set(now["metadata"]["reported"]) == {"a", "c", "e"}
        assert events.on("/update/documents")[-1]["previous"]["state"] == {
            "reported": {"a": {"b": 1}, "c": [1]}
        }

    asyncio.run(body())


def test_the_cache_stays_within_its_budget() -> None:
    async def body() -> None:
        shadows, _, _ = _shadows()
        shadows.live.cache_bytes = 10_000
        for k in range(200):
            await shadows.update(A, R, f"t{k}", None, b'{"state":{"reported":{"a":1}}}')
        assert 0 < shadows.live._cached <= 10_000 and len(shadows.live._cache) < 200
        assert json.loads(shadows.get(A, R, "t0", None))["version"] == 1  # read back from the store

    asyncio.run(body())


def test_history_of_one_shadow_across_batches_and_expired_batches_pruned() -> None:
    async def body() -> None:
        engine = MemoryEngine()
        clock = TestClock()
        shadows = Shadows(engine.ordered, clock, 60.0)
        shadows.publisher = Recorder()
        # a row of the older shadow-first layout: pruned as long expired
        await engine.ordered.write([(HISTORY, f"{A}/{R}/t/~/0000000000001/0000000001", b"{}")])
        for turn in range(40):  # each turn one batch: t and another shadow
            waits = [
                shadows.published(
                    _mqtt(f"$aws/things/{thing}/shadow/update", {"state": {"reported": {"n": turn}}})
                )
                for thing in ("t", f"other{turn % 3}")
            ]
            await asyncio.gather(*[w for w in waits if w is not None])
            clock.advance(2)
        clock.advance(1)  # off the window's edge: turns 11 to 39 are in the last 60 s
        changes = shadows.history(A, R, "t", None)
        assert [c["state"]["reported"]["n"] for c in changes] == list(range(11, 40))
        assert [c["version"] for c in changes] == list(range(12, 41))
        assert {c["source"] for c in changes} == {"mqtt:dev"}
        assert [c["state"]["reported"]["n"] for c in shadows.history(A, R, "other1", None)] == list(
            range(13, 40, 3)
        )
        kept = engine.ordered.scan_range(HISTORY, None, "", 100)
        assert len(kept) < 40 and all(not key.startswith(A) for key, _ in kept)  # expired ones dropped

    asyncio.run(body())
