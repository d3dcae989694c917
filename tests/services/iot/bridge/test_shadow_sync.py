"""Shadow sync's rules without a network: which local changes go up, which upstream ones come
down, echoes and redeliveries skipped."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from headwater.services.iot.bridge.shadow_sync import SYNC_TOKEN, ShadowSync, parse
from headwater.services.ports import ShadowError


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, Any]] = []

    async def update(self, account: str, region: str, thing: str, name: str | None, payload: bytes) -> bytes:
        self.calls.append(("update", thing, name, json.loads(payload)))
        return b"{}"

    async def delete(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        self.calls.append(("delete", thing, name, None))
        raise ShadowError(404, "No shadow exists")


def sync(things: tuple[str, ...] = ("lamp",)) -> tuple[ShadowSync, Recorder]:
    recorder = Recorder()
    return ShadowSync(things, recorder, "000000000000", "us-east-1"), recorder  # type: ignore[arg-type]


def doc(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def test_topics() -> None:
    assert parse("$aws/things/lamp/shadow/update/accepted") == (("lamp", None), "update")
    assert parse("$aws/things/lamp/shadow/name/dim/delete/accepted") == (("lamp", "dim"), "delete")
    for other in ("$aws/things/lamp/shadow/update", "$aws/things/lamp/shadow/get/accepted", "a/b/accepted"):
        assert parse(other) is None


def test_local_changes_go_up_once() -> None:
    shadows, _ = sync()
    topic, body = shadows.outgoing("$aws/things/lamp/shadow/update/accepted", doc(state={"reported": {"on": 1}},
                                   version=4, clientToken="device"))  # fmt: skip
    assert topic == "$aws/things/lamp/shadow/update"
    assert json.loads(body) == {"state": {"reported": {"on": 1}}, "clientToken": SYNC_TOKEN}
    came_down = doc(state={"desired": {"on": 1}}, clientToken=SYNC_TOKEN)
    assert shadows.outgoing("$aws/things/lamp/shadow/update/accepted", came_down) is None
    assert shadows.outgoing("$aws/things/door/shadow/update/accepted", doc(state={"x": 1})) is None
    assert shadows.outgoing("$aws/things/lamp/shadow/update/accepted", b"not json") is None
    assert shadows.filters()[0] == "$aws/things/lamp/shadow/update/accepted"
    assert sync(("*",))[0].filters()[1] == "$aws/things/+/shadow/delete/accepted"


def test_upstream_changes_come_down_without_echoes_or_repeats() -> None:
    async def body() -> None:
        shadows, recorder = sync()
        topic = "$aws/things/lamp/shadow/update/accepted"
        assert shadows.incoming(topic, doc(state={"reported": {}}, version=1, clientToken=SYNC_TOKEN)) is None
        wait = shadows.incoming(topic, doc(state={"desired": {"on": 1}}, version=2))
        assert wait is not None
        await wait
        assert shadows.incoming(topic, doc(state={"desired": {"on": 1}}, version=2)) is None  # redelivered
        assert shadows.incoming(topic, doc(state={"desired": {"on": 0}}, version=1)) is None  # older
        deleting = shadows.incoming("$aws/things/lamp/shadow/delete/accepted", doc(version=3))
        assert deleting is not None
        await deleting  # not there locally: nothing more
        assert recorder.calls == [
            ("update", "lamp", None, {"state": {"desired": {"on": 1}}, "clientToken": SYNC_TOKEN}),
            ("delete", "lamp", None, None),
        ]
        assert shadows.applied == 1

    asyncio.run(body())
