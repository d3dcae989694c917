"""kill -9 a broker in durable mode while a publisher sends QoS 1 messages to an offline persistent
session and updates a retained message: after a restart every PUBACKed message is queued for the
session, in order, and the retained message is at least the last acknowledged one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.engine.embedded import crash
from tests.services.iot.broker.harness import Harness, run

CHILD = """
import asyncio, sys
from pathlib import Path
from headwater.engine.embedded import EmbeddedEngine
from headwater.runtime.clock import SystemClock
from headwater.services.iot.broker import Broker
from headwater.protocol.mqtt.packets import Connect, Publish, Puback, Subscribe, SubscriptionOptions
from headwater.services.ports import MqttPeer

PEER = MqttPeer("wss", "10.0.0.7:50000", access_key="AKIDEXAMPLE", account="123456789012", region="us-east-1")

class Outlet:
    protocol_level = 4
    buffered = 0
    def write(self, packet):
        if type(packet) is Puback:
            print("A", packet.packet_id, flush=True)
    def close(self, reason_code=0, reason=None):
        pass

async def main():
    engine = EmbeddedEngine(Path(sys.argv[1]), sys.argv[2])
    await engine.start()
    broker = Broker(engine, SystemClock(), default_account="123456789012")
    await broker.start()
    dev = await broker.connect(Connect("dev", clean_start=False), PEER, Outlet())
    await dev.receive(Subscribe(1, [("q", SubscriptionOptions(1))]))
    await dev.ended(0, False)
    pub = await broker.connect(Connect("pub"), PEER, Outlet())
    pub._take_token = lambda: True
    n = 1
    while True:
        pending = pub.receive(Publish("q", str(n).encode(), 1, packet_id=n))
        pending2 = pub.receive(Publish("last", str(n).encode(), 1, True, packet_id=n))
        for wait in (pending, pending2):  # the PUBACKs are written as the stores finish
            if wait is not None:
                await wait
        await asyncio.sleep(0)
        n += 1

asyncio.run(main())
"""

ACKS = 400


def test_acknowledged_messages_survive_kill_9(tmp_path: Path) -> None:
    text = crash.run_and_kill(CHILD, tmp_path, "durable", lambda out: out.count("\n") >= ACKS)
    acked = [int(line.split()[1]) for line in text.split("\n")[:-1]]
    assert len(acked) >= ACKS
    highest = max(acked)

    async def body(h: Harness) -> None:
        retained = h.data.retained("123456789012", "us-east-1", "last")
        assert retained is not None and int(retained.payload) >= highest
        dev = await h.connect("dev", clean=False)
        assert dev.connack.session_present
        got: list[int] = []
        for _ in range(2000):
            got += [int(p.payload) for p in await dev.ack_all()]
            if got and got[-1] >= highest and not dev.outlet.packets:
                break
            await asyncio.sleep(0.002)
        assert got[: len(set(got))] == sorted(set(got))  # in order
        assert set(range(1, highest + 1)) <= set(got)

    run(body, data_dir=tmp_path)
