"""The edge queue's bound and drop policies, with the upstream away: a relaxed Headwater reached over
plain TCP (`mqtt://`), whose subscriber keeps a persistent session across the upstream's restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.iot.gateway import wait_for
from tests.e2e.iot_edge.harness import Client, Upstream, edge_server, payloads
from tests.e2e.support.server import Server, free_port

TOPIC = "sensors/bound"
# a queued record is 3 bytes + topic + payload: 116 bytes here, so 17 fit in 2 KiB
PAYLOADS = [payload + b"." * (100 - len(payload)) for payload in payloads("m", 40)]
KEPT = 2048 // (3 + len(TOPIC) + 100)


@pytest.fixture
def away(tmp_path: Path) -> Iterator[tuple[Upstream, Client]]:
    """A relaxed upstream that was there once (its subscriber's session is on its disk) and is
    stopped now."""
    (tmp_path / "up").mkdir()
    upstream = Upstream(tmp_path / "up", mode="relaxed").start()
    cloud = Client("cloud", upstream.ports["mqtt"])
    cloud.subscribe("sensors/#")
    upstream.stop()
    try:
        yield upstream, cloud
    finally:
        cloud.close()
        upstream.stop()


def start_edge(folder: Path, upstream: Upstream, drop: str) -> tuple[Server, int]:
    (folder / "edge").mkdir()
    port = free_port()
    flags = ("--edge-upstream", f"mqtt://127.0.0.1:{upstream.ports['mqtt']}",
             "--edge-forward", "sensors/#", "--edge-queue-max", "2KB", "--edge-drop", drop)  # fmt: skip
    return edge_server(folder / "edge", port, *flags).start(), port


@pytest.mark.parametrize("drop", ["oldest", "newest"])
def test_a_full_queue_drops_by_its_policy_and_says_so(
    away: tuple[Upstream, Client], tmp_path: Path, drop: str
) -> None:
    upstream, cloud = away
    edge, port = start_edge(tmp_path, upstream, drop)
    local = Client("sensor", port)
    try:
        local.publish(TOPIC, b"x" * (129 * 1024))  # over --edge-max-payload: never forwarded
        for payload in PAYLOADS:
            local.publish(TOPIC, payload)  # acknowledged whatever the policy drops
        status = edge.admin("GET", "edge")
        assert status["rejected"] == 1
        assert status["queue"]["messages"] == KEPT  # type: ignore[index]
        assert status["queue"]["bytes"] <= 2048  # type: ignore[index,operator]
        assert status["dropped"] == {"oldest": 40 - KEPT if drop == "oldest" else 0,
                                     "newest": 40 - KEPT if drop == "newest" else 0}  # fmt: skip
        assert edge.admin("GET", "health")["edge"]["dropped"] == status["dropped"]  # type: ignore[index]
        upstream.start()
        expected = PAYLOADS[-KEPT:] if drop == "oldest" else PAYLOADS[:KEPT]
        wait_for(lambda: cloud.firsts(TOPIC) == expected, timeout=30, what=f"the {KEPT} kept messages")
    finally:
        local.close()
        edge.stop()


def test_drop_none_holds_publishers_until_there_is_room(
    away: tuple[Upstream, Client], tmp_path: Path
) -> None:
    upstream, cloud = away
    edge, port = start_edge(tmp_path, upstream, "none")
    local = Client("sensor", port)
    try:
        mids = [local.publish(TOPIC, payload, wait=False) for payload in PAYLOADS]
        wait_for(lambda: edge.admin("GET", "edge")["queue"]["waiting_publishers"] == 1, what="a held publish")  # type: ignore[index]
        # the rest wait, in the publisher's own window
        wait_for(lambda: len(local.acked & set(mids)) == KEPT, what=f"{KEPT} PUBACKs")
        upstream.start()
        wait_for(lambda: cloud.firsts(TOPIC) == PAYLOADS, timeout=30, what="all 40, in order")
        wait_for(lambda: set(mids) <= local.acked, what="every PUBACK")
        status = edge.admin("GET", "edge")
        assert status["dropped"] == {"oldest": 0, "newest": 0}
        assert status["blocked_publishes"] >= 1  # type: ignore[operator]
    finally:
        local.close()
        edge.stop()
