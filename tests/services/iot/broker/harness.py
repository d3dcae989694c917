"""Drives the broker with packet values: a recording outlet stands in for the MQTT listener, small
implementations of the iot contracts stand in for the authorizer and the certificate store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from headwater.engine.api import Engine
from headwater.engine.embedded import EmbeddedEngine
from headwater.engine.memory import MemoryEngine
from headwater.protocol.mqtt.packets import (
    MQTT_5,
    MQTT_311,
    Connack,
    Connect,
    Disconnect,
    Properties,
    Puback,
    Publish,
    Pubrec,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Unsubscribe,
    Will,
)
from headwater.runtime.clock import TestClock
from headwater.services.iot.broker import Broker, DataPlane
from headwater.services.iot.broker.connection import Connection
from headwater.services.iot.contracts import AuthContext, CertificateRecord, Decision
from headwater.services.ports import MqttPeer

ACCOUNT, REGION = "123456789012", "us-east-1"
SIGNED = MqttPeer("wss", "10.0.0.7:50000", access_key="AKIDEXAMPLE", account=ACCOUNT, region=REGION)
ANONYMOUS = MqttPeer("tcp", "127.0.0.1:50001")
# the default peer: a device with an ACTIVE certificate (IoT policies bind certificates; SigV4
# signers are IAM's to authorize, so the broker checks no policy for them)
DEVICE_DER = b"device-certificate"
DEVICE = MqttPeer("mtls", "10.0.0.9:50002", certificate_der=DEVICE_DER)


class Outlet:
    """Records what the broker writes; `backlog` plays the unsent bytes of a slow client (setting
    it back to 0 is the client catching up: `drained` waiters finish)."""

    def __init__(self, level: int = MQTT_311) -> None:
        self.level = level
        self.packets: list[Any] = []
        self._backlog = 0
        self._caught_up: asyncio.Future[None] | None = None
        self.closed: int | None = None

    @property
    def backlog(self) -> int:
        return self._backlog

    @backlog.setter
    def backlog(self, value: int) -> None:
        self._backlog = value
        if not value and self._caught_up is not None:
            if not self._caught_up.done():
                self._caught_up.set_result(None)
            self._caught_up = None

    def drained(self) -> Awaitable[None] | None:
        if not self._backlog:
            return None
        if self._caught_up is None:
            self._caught_up = asyncio.get_running_loop().create_future()
        return self._caught_up

    @property
    def protocol_level(self) -> int:
        return self.level

    @property
    def buffered(self) -> int:
        return self.backlog

    def write(self, packet: Any) -> None:
        self.packets.append(packet)

    def close(self, reason_code: int = 0, reason: str | None = None) -> None:
        if self.closed is None:
            self.closed = reason_code

    def take(self, kind: type | None = None) -> list[Any]:
        kept = [p for p in self.packets if kind is None or type(p) is kind]
        self.packets = [p for p in self.packets if not (kind is None or type(p) is kind)]
        return kept


@dataclass
class Policy:
    """An Authorizer: allows everything except the (action, resource) pairs denied."""

    denied: set[tuple[str, str]] = field(default_factory=set)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    def authorize(self, context: AuthContext, action: str, resource: str) -> Decision:
        self.calls.append((action, resource, context.client_id))
        if (action, resource) in self.denied or (action, "*") in self.denied:
            return Decision(False, reason="explicit deny")
        return Decision(True, reason="allowed")


@dataclass
class Certificates:
    """A CertificateDirectory of a few records."""

    records: dict[bytes, CertificateRecord] = field(default_factory=dict)

    def add(self, der: bytes, status: str = "ACTIVE", account: str = ACCOUNT, region: str = REGION) -> str:
        cert_id = der.hex().ljust(64, "0")[:64]
        arn = f"arn:aws:iot:{region}:{account}:cert/{cert_id}"
        self.records[der] = CertificateRecord(account, region, cert_id, arn, status, der)
        return cert_id

    def by_der(self, der: bytes) -> CertificateRecord | None:
        return self.records.get(der)

    def by_id(self, account: str, region: str, certificate_id: str) -> CertificateRecord | None:
        return next((r for r in self.records.values() if r.certificate_id == certificate_id), None)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:{kind}/{name}"


class Client:
    def __init__(self, harness: Harness, outlet: Outlet, session: Connection | None) -> None:
        self.harness = harness
        self.outlet = outlet
        self.session = session
        acks = outlet.take(Connack)
        # AWS mode answers a 3.1.1 client it does not authorize with no CONNACK (None here)
        self.connack: Connack = acks[0] if acks else None  # type: ignore[assignment]
        self._ids = 0

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    async def send(self, packet: Any) -> None:
        """Hands a packet to the broker; a QoS 1 PUBLISH returns once its answer is written (the
        broker goes on reading while the PUBACK waits for the stores: acks.py)."""
        assert self.session is not None
        pending = self.session.receive(packet)
        if pending is not None:
            await pending
        if type(packet) is Publish and packet.qos == 1:  # (AWS mode never answers QoS 2)
            await self.answered(packet.packet_id or 0)

    async def answered(self, packet_id: int, within_s: float = 5.0) -> None:
        """Waits for the broker's PUBACK/PUBREC to `packet_id` (or the connection's end)."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.outlet.closed is not None or any(
                type(p) in (Puback, Pubrec) and p.packet_id == packet_id for p in self.outlet.packets
            ):
                return
            await asyncio.sleep(0)
        raise AssertionError(f"no answer to PUBLISH {packet_id} within {within_s} s")

    async def publish(
        self,
        topic: str,
        payload: bytes = b"x",
        qos: int = 0,
        retain: bool = False,
        props: Properties | None = None,
    ) -> None:
        packet_id = self.next_id() if qos else None
        await self.send(Publish(topic, payload, qos, retain, False, packet_id, props or Properties()))

    async def subscribe(self, *filters: str | tuple[str, SubscriptionOptions], qos: int = 0) -> Suback | None:
        subs = [f if isinstance(f, tuple) else (f, SubscriptionOptions(qos)) for f in filters]
        await self.send(Subscribe(self.next_id(), subs))
        acks = self.outlet.take(Suback)
        return acks[0] if acks else None

    async def unsubscribe(self, *filters: str) -> Unsuback:
        await self.send(Unsubscribe(self.next_id(), list(filters)))
        return self.outlet.take(Unsuback)[0]

    async def disconnect(self, reason: int = 0, props: Properties | None = None) -> None:
        await self.send(Disconnect(reason, props or Properties()))
        assert self.session is not None
        await self.session.ended(reason, True)

    async def drop(self, reason: int = 0) -> None:
        assert self.session is not None
        await self.session.ended(reason, False)

    def received(self) -> list[Publish]:
        return self.outlet.take(Publish)

    async def ack_all(self) -> list[Publish]:
        got = self.received()
        for p in got:
            if p.qos == 1:
                assert p.packet_id is not None
                await self.send(Puback(p.packet_id))
        return got


class Harness:
    def __init__(self, build: Callable[[], Awaitable[tuple[Broker, Engine]]], clock: TestClock) -> None:
        self._build = build
        self.clock = clock

    async def start(self) -> None:
        self.broker, self.engine = await self._build()
        self.data = DataPlane(self.broker)

    async def stop(self) -> None:
        await self.broker.close()
        await self.engine.close()

    async def restart(self) -> None:
        """A new broker on a new engine over the same data directory."""
        await self.stop()
        await self.start()

    async def connect(
        self,
        client_id: str,
        level: int = MQTT_311,
        clean: bool = True,
        peer: MqttPeer = DEVICE,
        keep_alive: int = 60,
        will: Will | None = None,
        props: Properties | None = None,
    ) -> Client:
        outlet = Outlet(MQTT_5 if level == MQTT_5 else MQTT_311)
        packet = Connect(client_id, level, clean, keep_alive, will=will, properties=props or Properties())
        session = await self.broker.connect(packet, peer, outlet)
        assert session is None or isinstance(session, Connection)
        return Client(self, outlet, session)

    def namespace_sessions(self) -> Iterable[str]:
        ns = self.broker.namespaces.get((ACCOUNT, REGION))
        return list(ns.sessions) if ns else []


Body = Callable[[Harness], Awaitable[None]]


def run(
    body: Body,
    *,
    mode: Literal["aws", "relaxed"] = "aws",
    policy: Policy | None = None,
    certificates: Certificates | None = None,
    data_dir: Path | None = None,
    clock: TestClock | None = None,
    session_expiry: float = 3600.0,
    replay_rate: float = 0.0,
) -> None:
    directory = certificates if certificates is not None else Certificates()
    if DEVICE_DER not in directory.records:
        directory.add(DEVICE_DER)

    async def main() -> None:
        test_clock = clock or TestClock()

        async def build() -> tuple[Broker, Engine]:
            engine: Engine = EmbeddedEngine(data_dir, "durable") if data_dir is not None else MemoryEngine()
            await engine.start()
            broker = Broker(
                engine,
                test_clock,
                mode=mode,
                session_expiry=session_expiry,
                default_account=ACCOUNT,
                default_region=REGION,
                authorizer=policy,
                certificates=directory,
                replay_rate=replay_rate,
            )
            await broker.start()
            return broker, engine

        harness = Harness(build, test_clock)
        await harness.start()
        try:
            await body(harness)
        finally:
            await harness.stop()

    asyncio.run(main())
