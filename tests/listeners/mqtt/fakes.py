"""Stand-ins for the iot service around the device gateway listener: a broker that answers as a
minimal MQTT server, trust material made with `cryptography`, a data plane that records publishes,
and a client speaking through the codec over real sockets."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from headwater.config import Config
from headwater.listeners.http.principals import Principals
from headwater.listeners.mqtt.codec import server_codec
from headwater.listeners.mqtt.listener import MqttListener
from headwater.listeners.mqtt.parts import Parts
from headwater.protocol.mqtt import packets as p
from headwater.protocol.mqtt.connection import MqttConnection
from headwater.runtime.clock import SystemClock
from headwater.services.ports import DeviceTlsMaterial, MqttOutlet, MqttPeer


class Session:
    def __init__(self, broker: Broker, outlet: MqttOutlet, keep_alive: int) -> None:
        self.broker = broker
        self.outlet = outlet
        self._keep_alive = keep_alive

    @property
    def keep_alive(self) -> int:
        return self._keep_alive

    def receive(self, packet: Any) -> Any:
        self.broker.received.append(packet)
        if isinstance(packet, p.Pingreq):
            self.outlet.write(p.Pingresp())
        elif isinstance(packet, p.Subscribe):
            self.outlet.write(p.Suback(packet.packet_id, [o.qos for _, o in packet.subscriptions]))
        elif isinstance(packet, p.Publish):
            for session in self.broker.sessions:  # an echo to every client, this one included
                session.outlet.write(p.Publish(packet.topic, packet.payload))
            if packet.qos == 1:
                return self._stored(packet)
        return None

    async def _stored(self, packet: p.Publish) -> None:
        await asyncio.sleep(0.01)  # "stored"
        assert packet.packet_id is not None
        self.outlet.write(p.Puback(packet.packet_id))

    async def ended(self, reason_code: int, client_initiated: bool) -> None:
        self.broker.sessions.remove(self)
        self.broker.ended.append((reason_code, client_initiated))


class Broker:
    def __init__(self, keep_alive: int | None = None, refuse: bool = False) -> None:
        self.keep_alive = keep_alive
        self.refuse = refuse
        self.peers: list[MqttPeer] = []
        self.sessions: list[Session] = []
        self.received: list[Any] = []
        self.ended: list[tuple[int, bool]] = []

    async def connect(self, packet: Any, peer: MqttPeer, outlet: MqttOutlet) -> Session | None:
        self.peers.append(peer)
        if self.refuse:
            outlet.write(p.Connack(False, 5 if outlet.protocol_level == 4 else 0x87))
            return None
        outlet.write(p.Connack(False, 0))
        session = Session(self, outlet, packet.keep_alive if self.keep_alive is None else self.keep_alive)
        self.sessions.append(session)
        return session


@dataclass
class Plane:
    published: list[tuple[str, str, str, bytes, int, bool, Any, MqttPeer | None]] = field(
        default_factory=list
    )

    async def publish(self, account: str, region: str, topic: str, payload: bytes, *, qos: int = 0,
                      retain: bool = False, properties: Any = None, peer: MqttPeer | None = None) -> None:  # fmt: skip
        self.published.append((account, region, topic, payload, qos, retain, properties, peer))


# --- certificates -----------------------------------------------------------------------------


@dataclass
class Pki:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def files(self, folder: Any, name: str) -> tuple[str, str]:
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        return str(cert), str(key)


def issue(name: str, issuer: Pki | None = None, *, ca: bool = False, dns: tuple[str, ...] = ()) -> Pki:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Pki(key, cert)


class Trust:
    """The iot service's DeviceTrust: a root, the gateway's certificate, the anchors (changeable)."""

    def __init__(self) -> None:
        self.root = issue("Test IoT Root", ca=True)
        self.server = issue(
            "gateway", self.root, dns=("localhost", "*.localhost", "*.iot.eu-west-1.localhost")
        )
        self.anchors = [self.root.cert_pem]
        self.generation = 1

    def material(self) -> DeviceTlsMaterial:
        chain = self.server.cert_pem + self.root.cert_pem
        return DeviceTlsMaterial(self.generation, chain, self.server.key_pem, b"".join(self.anchors))

    def root_ca_pem(self) -> bytes:
        return self.root.cert_pem

    def ca_chain_pem(self) -> bytes:
        return self.root.cert_pem

    def add_anchor(self, pem: bytes) -> None:
        self.anchors.append(pem)
        self.generation += 1


def client_context(
    trust: Trust, client: Pki | None, folder: Any, alpn: list[str] | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=trust.root.cert_pem.decode())
    if client is not None:
        context.load_cert_chain(*client.files(folder, f"client-{id(client)}"))
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


# --- the listener and a client ----------------------------------------------------------------


def listener(broker: Broker, trust: Trust | None, plane: Plane | None = None, **config: Any) -> MqttListener:
    config.setdefault("data_dir", Path(tempfile.mkdtemp(prefix="headwater-mqtt-test-")))  # the root CA's file
    settings = Config(**config)
    parts = Parts(settings, broker, plane, Principals(settings), SystemClock(), server_codec)
    return MqttListener(parts, trust)


def port_of(listener: MqttListener, kind: str) -> int:
    return next(port.number for port in listener.ports if port.kind == kind)


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.codec = MqttConnection(server=False)

    @classmethod
    async def open(
        cls, port: int, context: ssl.SSLContext | None = None, server_name: str = "localhost"
    ) -> Client:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname=server_name if context else None
        )
        return cls(reader, writer)

    def send(self, packet: Any) -> None:
        self.writer.write(self.codec.send(packet))

    async def next(self, timeout: float = 5.0) -> Any:
        while True:
            packet = self.codec.next_packet()
            if packet is not None:
                return packet
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                return None  # closed
            self.codec.receive_data(data)

    async def connect(self, level: int = 4, keep_alive: int = 60) -> Any:
        self.send(p.Connect("c1", protocol_level=level, keep_alive=keep_alive))
        return await self.next()

    def close(self) -> None:
        self.writer.close()
