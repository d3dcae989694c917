"""Fan-in at QoS 1 to a clean-session subscriber that stops reading for a while: every message a
publisher had acknowledged arrives (its PUBACKs wait instead), and the broker's counters are in
`/_headwater/metrics`."""

from __future__ import annotations

import socket
import time
import urllib.request

import paho.mqtt.client as mqtt

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import (
    Connack,
    Connect,
    Puback,
    Publish,
    Suback,
    Subscribe,
    SubscriptionOptions,
)
from tests.e2e.iot.gateway import Gateway, wait_for

PUBLISHERS, EACH = 4, 6000  # 24,000 x 256 B: more than the socket buffers and the 1,000-message window
PAYLOAD = b"x" * 240


class RawSubscriber:
    """A blocking-socket MQTT 3.1.1 client on Headwater's own codec, so it can stop reading."""

    def __init__(self, port: int, client_id: str, topic_filter: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.codec = MqttConnection(server=False)
        self.sock.sendall(self.codec.send(Connect(client_id, 4, True, 60)))
        assert isinstance(self._next(), Connack)
        self.sock.sendall(self.codec.send(Subscribe(1, [(topic_filter, SubscriptionOptions(1))])))
        assert isinstance(self._next(), Suback)

    def _next(self) -> object:
        while (packet := self.codec.next_packet()) is None:
            data = self.sock.recv(1 << 16)
            assert data, "the broker closed the connection"
            self.codec.receive_data(data)
        return packet

    def read(self, count: int) -> list[bytes]:
        got: list[bytes] = []
        while len(got) < count:
            packet = self._next()
            if isinstance(packet, Publish):
                got.append(packet.payload)
                self.sock.sendall(self.codec.send(Puback(packet.packet_id or 0)))
        return got


def test_a_paused_subscriber_gets_every_acknowledged_message(relaxed: Gateway) -> None:
    subscriber = RawSubscriber(relaxed.mqtt, "fanin-sub", "fanin/+")
    publishers: list[mqtt.Client] = []
    acked = [0] * PUBLISHERS
    try:
        for n in range(PUBLISHERS):
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fanin-pub-{n}")
            client.max_inflight_messages_set(100)
            client.max_queued_messages_set(0)

            def on_publish(
                c: object, data: object, mid: int, reason: object, props: object, n: int = n
            ) -> None:
                acked[n] += 1

            client.on_publish = on_publish
            client.connect("127.0.0.1", relaxed.mqtt, keepalive=60)
            client.loop_start()
            publishers.append(client)
        for seq in range(EACH):
            for n, client in enumerate(publishers):
                client.publish(f"fanin/{n}", f"{n}:{seq}:".encode() + PAYLOAD, qos=1)
        # the subscriber reads nothing until the publishers' acknowledgements stall (or all came)
        last, still = -1, 0
        while still < 5 and sum(acked) < PUBLISHERS * EACH:
            time.sleep(0.1)
            still, last = (still + 1, last) if sum(acked) == last else (0, sum(acked))
        got = subscriber.read(PUBLISHERS * EACH)
        wait_for(lambda: sum(acked) == PUBLISHERS * EACH, timeout=30, what="every PUBACK")
        for n in range(PUBLISHERS):  # all of them, each publisher's in order
            mine = [g.split(b":")[1] for g in got if g.startswith(f"{n}:".encode())]
            assert mine == [str(seq).encode() for seq in range(EACH)]
        with urllib.request.urlopen(f"{relaxed.server.endpoint}/_headwater/metrics") as response:
            text = response.read().decode()
        routed = next(line for line in text.splitlines() if line.startswith("aws_iot_broker_routed "))
        assert float(routed.split()[1]) >= PUBLISHERS * EACH
        held = next(
            line for line in text.splitlines() if line.startswith("aws_iot_broker_qos1_backpressure ")
        )
        assert float(held.split()[1]) > 0  # the window did overflow: those messages would have been dropped
        # no subscriber was disconnected as slow (a counter is exported once it counted something)
        assert "aws_iot_broker_slow_consumers_disconnected " not in text
    finally:
        for client in publishers:
            client.disconnect()
            client.loop_stop()
        subscriber.sock.close()
