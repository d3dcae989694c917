"""Cross-checks against paho-mqtt: what a paho client writes to a real socket decodes to the packets
it meant, and what we encode, paho decodes to the values we meant (MQTT 3.1.1 and 5)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties as PahoProperties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from headwater.protocol.mqtt.connection import MqttConnection
from headwater.protocol.mqtt.packets import (
    Connack,
    Connect,
    Disconnect,
    Packet,
    Properties,
    Puback,
    Publish,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Unsubscribe,
)


class Peer:
    """A paho client on one end of a loopback TCP connection, a server-role MqttConnection on the other."""

    def __init__(self, protocol: paho.MQTTProtocolVersion, client_id: str = "paho-1") -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        self.events: list[tuple[str, Any]] = []
        self.client.on_connect = lambda c, u, flags, reason, props: self.events.append(
            ("connect", (reason, props))
        )
        self.client.on_message = lambda c, u, message: self.events.append(("message", message))
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.events.append(
            ("subscribe", (mid, codes))
        )
        self.client.on_unsubscribe = lambda c, u, mid, codes, props: self.events.append(
            ("unsubscribe", codes)
        )
        self.server = MqttConnection()
        self.sock: socket.socket | None = None

    def accept(self) -> None:
        self.sock, _ = self.listener.accept()
        self.sock.settimeout(5)

    def receive(self, count: int) -> list[Packet]:
        assert self.sock is not None
        packets: list[Packet] = []
        deadline = time.monotonic() + 5
        while len(packets) < count and time.monotonic() < deadline:
            while len(packets) < count and (packet := self.server.next_packet()) is not None:
                packets.append(packet)
            if len(packets) < count:
                self.server.receive_data(self.sock.recv(65536))
        return packets

    def deliver(self, packet: Packet, until: Callable[[], bool]) -> None:
        assert self.sock is not None
        self.sock.sendall(self.server.send(packet))
        deadline = time.monotonic() + 5
        while not until() and time.monotonic() < deadline:
            self.client.loop(timeout=0.05)
        assert until()

    def close(self) -> None:
        self.client.disconnect()
        if self.sock is not None:
            self.sock.close()
        self.listener.close()


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        peer.close()


def test_paho_v311(peers: list[Peer]) -> None:
    peer = Peer(paho.MQTTv311)
    peers.append(peer)
    peer.client.username_pw_set("user", "pässword")
    peer.client.will_set("will/t", b"bye", qos=1, retain=True)
    peer.client.connect("127.0.0.1", peer.listener.getsockname()[1], keepalive=30)
    peer.accept()
    [connect] = peer.receive(1)
    assert connect == Connect(
        "paho-1", protocol_level=4, clean_start=True, keep_alive=30, username="user",
        password="pässword".encode(), will=connect.will,
    )  # fmt: skip
    assert connect.will is not None and (connect.will.topic, connect.will.payload) == ("will/t", b"bye")
    assert (connect.will.qos, connect.will.retain) == (1, True)
    peer.deliver(Connack(session_present=False), lambda: bool(peer.events))
    assert peer.events[0][1][0] == 0

    peer.client.subscribe([("a/+", 1), ("b/#", 0)])
    peer.client.publish("a/b", b"x" * 300, qos=1, retain=True)
    peer.client.publish("c", b"", qos=0)
    peer.client.unsubscribe("a/+")
    subscribe, publish, publish0, unsubscribe = peer.receive(4)
    assert isinstance(subscribe, Subscribe) and subscribe.subscriptions == [
        ("a/+", SubscriptionOptions(qos=1)), ("b/#", SubscriptionOptions(qos=0))
    ]  # fmt: skip
    assert publish == Publish("a/b", b"x" * 300, qos=1, retain=True, packet_id=publish.packet_id)
    assert publish0 == Publish("c", b"")
    assert isinstance(unsubscribe, Unsubscribe) and unsubscribe.topic_filters == ["a/+"]

    peer.deliver(
        Suback(subscribe.packet_id, [1, 0x80]), lambda: any(e[0] == "subscribe" for e in peer.events)
    )
    codes = next(e[1][1] for e in peer.events if e[0] == "subscribe")
    assert [int(code.value) for code in codes] == [1, 0x80]
    peer.deliver(
        Publish("a/z", b"hello", qos=1, packet_id=77), lambda: any(e[0] == "message" for e in peer.events)
    )
    message = next(e[1] for e in peer.events if e[0] == "message")
    assert (message.topic, message.payload, message.qos, message.mid) == ("a/z", b"hello", 1, 77)
    assert peer.receive(1) == [Puback(77)]  # paho acknowledged it


def test_paho_v5(peers: list[Peer]) -> None:
    peer = Peer(paho.MQTTv5, client_id="paho-5")
    peers.append(peer)
    connect_props = PahoProperties(PacketTypes.CONNECT)
    connect_props.SessionExpiryInterval = 3600
    connect_props.ReceiveMaximum = 50
    connect_props.TopicAliasMaximum = 4
    connect_props.UserProperty = [("a", "1"), ("a", "2")]
    will_props = PahoProperties(PacketTypes.WILLMESSAGE)
    will_props.WillDelayInterval = 9
    will_props.ContentType = "text/plain"
    peer.client.will_set("will/t", b"bye", qos=0, properties=will_props)
    peer.client.connect("127.0.0.1", peer.listener.getsockname()[1], keepalive=60, properties=connect_props)
    peer.accept()
    [connect] = peer.receive(1)
    assert isinstance(connect, Connect) and connect.protocol_level == 5 and connect.client_id == "paho-5"
    assert connect.properties == Properties(
        session_expiry_interval=3600,
        receive_maximum=50,
        topic_alias_maximum=4,
        user_properties=[("a", "1"), ("a", "2")],
    )
    assert connect.will is not None
    assert connect.will.properties == Properties(will_delay_interval=9, content_type="text/plain")

    connack_props = Properties(
        topic_alias_maximum=3, maximum_qos=1, retain_available=1, maximum_packet_size=149504,
        assigned_client_identifier="x", reason_string="hi", subscription_identifier_available=0,
        user_properties=[("k", "v")], server_keep_alive=30,
    )  # fmt: skip
    peer.deliver(Connack(properties=connack_props), lambda: bool(peer.events))
    reason, props = peer.events[0][1]
    assert reason == 0
    assert (props.TopicAliasMaximum, props.MaximumQoS, props.MaximumPacketSize) == (3, 1, 149504)
    assert (props.AssignedClientIdentifier, props.ReasonString, props.ServerKeepAlive) == ("x", "hi", 30)
    assert props.UserProperty == [("k", "v")]

    sub_props = PahoProperties(PacketTypes.SUBSCRIBE)
    sub_props.UserProperty = ("s", "1")
    peer.client.subscribe(
        [("a/+", SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True, retainHandling=2))],
        properties=sub_props,
    )
    pub_props = PahoProperties(PacketTypes.PUBLISH)
    pub_props.MessageExpiryInterval = 20
    pub_props.ResponseTopic = "reply/to"
    pub_props.CorrelationData = b"\x01\x02"
    pub_props.PayloadFormatIndicator = 1
    pub_props.TopicAlias = 2
    pub_props.UserProperty = [("u", "v")]
    peer.client.publish("a/b", "ünï".encode(), qos=1, properties=pub_props)
    alias_props = PahoProperties(PacketTypes.PUBLISH)
    alias_props.TopicAlias = 2
    peer.client.publish("", b"again", qos=0, properties=alias_props)
    peer.client.unsubscribe(["a/+", "b"])
    subscribe, publish, aliased, unsubscribe = peer.receive(4)
    assert isinstance(subscribe, Subscribe) and subscribe.subscriptions == [
        ("a/+", SubscriptionOptions(qos=1, no_local=True, retain_as_published=True, retain_handling=2))
    ]
    assert subscribe.properties.user_properties == [("s", "1")]
    assert isinstance(publish, Publish) and (publish.topic, publish.payload) == ("a/b", "ünï".encode())
    assert publish.properties == Properties(
        message_expiry_interval=20, response_topic="reply/to", correlation_data=b"\x01\x02",
        payload_format_indicator=1, user_properties=[("u", "v")],
    )  # fmt: skip
    assert isinstance(aliased, Publish) and (aliased.topic, aliased.payload) == ("a/b", b"again")
    assert isinstance(unsubscribe, Unsubscribe) and unsubscribe.topic_filters == ["a/+", "b"]

    peer.deliver(Suback(subscribe.packet_id, [1]), lambda: any(e[0] == "subscribe" for e in peer.events))
    peer.deliver(
        Unsuback(unsubscribe.packet_id, [0, 0x11]), lambda: any(e[0] == "unsubscribe" for e in peer.events)
    )
    codes = next(e[1] for e in peer.events if e[0] == "unsubscribe")
    assert [int(code.value) for code in codes] == [0, 0x11]
    out_props = Properties(
        content_type="application/json",
        correlation_data=b"c",
        user_properties=[("x", "y")],
        subscription_identifiers=[5],
    )
    peer.deliver(
        Publish("a/z", b"{}", qos=1, packet_id=9, properties=out_props),
        lambda: any(e[0] == "message" for e in peer.events),
    )
    message = next(e[1] for e in peer.events if e[0] == "message")
    assert (message.topic, message.payload, message.qos) == ("a/z", b"{}", 1)
    assert (message.properties.ContentType, message.properties.CorrelationData) == ("application/json", b"c")
    assert message.properties.UserProperty == [("x", "y")] and message.properties.SubscriptionIdentifier == [
        5
    ]
    assert peer.receive(1) == [Puback(9)]

    peer.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=0x04))
    assert peer.receive(1) == [Disconnect(0x04)]


def test_paho_v31(peers: list[Peer]) -> None:
    peer = Peer(paho.MQTTv31, client_id="old-client")
    peers.append(peer)
    peer.client.connect("127.0.0.1", peer.listener.getsockname()[1], keepalive=15)
    peer.accept()
    [connect] = peer.receive(1)
    assert connect == Connect("old-client", protocol_level=3, keep_alive=15, protocol_name="MQIsdp")
    assert peer.server.protocol_level == 3
    peer.deliver(Connack(), lambda: bool(peer.events))
    peer.client.publish("a/b", b"v31", qos=1)
    [publish] = peer.receive(1)
    assert isinstance(publish, Publish) and (publish.topic, publish.payload, publish.qos) == (
        "a/b",
        b"v31",
        1,
    )
    peer.deliver(Puback(publish.packet_id or 0), lambda: True)
