"""HeldAcks: PUBACKs in the order the PUBLISHes came, whatever order their stores finish in, with
many entries waiting on one store (a group commit), the window, and a failed store."""

from __future__ import annotations

import asyncio

from headwater.protocol.mqtt.packets import Packet, Puback
from headwater.services.iot.broker.acks import HeldAcks


def run(body: object) -> None:
    asyncio.run(body)  # type: ignore[arg-type]


class Sink:
    def __init__(self) -> None:
        self.written: list[int] = []
        self.failed: list[BaseException] = []

    def write(self, packet: Packet) -> None:
        assert isinstance(packet, Puback)
        self.written.append(packet.packet_id)

    def fail(self, error: BaseException) -> None:
        self.failed.append(error)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_in_order_when_stores_finish_out_of_order() -> None:
    async def body() -> None:
        sink = Sink()
        acks = HeldAcks(100, sink.write, sink.fail)
        loop = asyncio.get_running_loop()
        first, second = loop.create_future(), loop.create_future()
        acks.hold(Puback(1), [first])
        acks.hold(Puback(2), [second])
        acks.hold(Puback(3), [second, first])  # waits for both
        acks.answer(Puback(4))  # waits for nothing, but goes behind the held ones
        second.set_result(None)
        await settle()
        assert sink.written == []
        first.set_result(None)
        await settle()
        assert sink.written == [1, 2, 3, 4]
        acks.answer(Puback(5))  # nothing held: at once
        assert sink.written == [1, 2, 3, 4, 5]

    run(body())


def test_one_store_holds_many_entries() -> None:
    async def body() -> None:
        sink = Sink()
        acks = HeldAcks(100, sink.write, sink.fail)
        loop = asyncio.get_running_loop()
        commit, later = loop.create_future(), loop.create_future()
        for packet_id in range(1, 11):
            acks.hold(Puback(packet_id), [commit])
        acks.hold(Puback(11), [later])
        acks.hold(Puback(12), [commit])
        commit.set_result(None)
        await settle()
        assert sink.written == list(range(1, 11))
        assert len(acks) == 2
        later.set_result(None)
        await settle()
        assert sink.written == list(range(1, 13))
        assert len(acks) == 0

    run(body())


def test_window_full_returns_room_until_under_it() -> None:
    async def body() -> None:
        sink = Sink()
        acks = HeldAcks(3, sink.write, sink.fail)
        loop = asyncio.get_running_loop()
        commit = loop.create_future()
        assert acks.hold(Puback(1), [commit]) is None
        assert acks.hold(Puback(2), [commit]) is None
        room = acks.hold(Puback(3), [commit])
        assert room is not None
        commit.set_result(None)
        await asyncio.wait_for(asyncio.ensure_future(room), 5)
        assert sink.written == [1, 2, 3]

    run(body())


def test_failed_store_ends_without_later_acks() -> None:
    async def body() -> None:
        sink = Sink()
        acks = HeldAcks(100, sink.write, sink.fail)
        loop = asyncio.get_running_loop()
        good, bad = loop.create_future(), loop.create_future()
        acks.hold(Puback(1), [good])
        acks.hold(Puback(2), [bad])
        acks.hold(Puback(3), [good])
        bad.set_exception(OSError("disk"))
        await settle()
        assert isinstance(sink.failed[0], OSError)
        assert acks.closed
        good.set_result(None)
        await settle()
        assert sink.written == []

    run(body())
