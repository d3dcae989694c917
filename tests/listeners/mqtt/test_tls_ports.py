"""The TLS ports: mutual TLS on the MQTT port, ALPN dispatch on the 443-style port (MQTT, X.509
HTTPS publish, WebSocket with SigV4, the HTTP API spliced through), anchors that change."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, RejectConnection, RejectData, Request

from headwater.listeners.base import ListenerError
from headwater.listeners.mqtt.listener import MqttListener
from headwater.protocol.mqtt import packets as p
from headwater.protocol.mqtt.connection import MqttConnection
from tests.listeners.mqtt.fakes import Broker, Client, Plane, Trust, client_context, issue, listener, port_of
from tests.listeners.mqtt.test_connection import free_port


async def api_server() -> tuple[asyncio.Server, int]:
    """The HTTP listener's stand-in: answers every request with its request line."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line = head.split(b"\r\n")[0]
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(line), line)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def run(scenario: Any, broker: Broker, trust: Trust, plane: Plane | None = None, **config: Any) -> None:
    async def main() -> None:
        api, api_port = await api_server()
        gateway = listener(
            broker, trust, plane, port=api_port,
            iot_port=free_port(), iot_alpn_port=free_port(), iot_https_port=free_port(), **config,
        )  # fmt: skip
        gateway.preflight()
        await gateway.start()
        try:
            await scenario(gateway)
        finally:
            await gateway.stop()
            api.close()

    asyncio.run(main())


async def refused(port: int, context: ssl.SSLContext) -> bool:
    """Whether the server ends the connection (at the handshake or at once after it)."""
    try:
        client = await Client.open(port, context)
        client.send(p.Connect("x"))
        return await client.next() is None
    except (ssl.SSLError, ConnectionError):
        return True


async def http(port: int, context: ssl.SSLContext, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    writer.write(request)
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


def test_mutual_tls_needs_a_trusted_certificate(tmp_path: Path) -> None:
    broker, trust = Broker(), Trust()
    device = issue("device", trust.root)
    stranger = issue("stranger")

    async def scenario(gateway: MqttListener) -> None:
        port = port_of(gateway, "mtls")
        client = await Client.open(
            port, client_context(trust, device, tmp_path), "abc-ats.iot.eu-west-1.localhost"
        )
        assert await client.connect() == p.Connack(False, 0)
        peer = broker.peers[0]
        assert peer.transport == "mtls" and peer.certificate_der == device.cert.public_bytes(_der())
        assert peer.server_name == "abc-ats.iot.eu-west-1.localhost"
        assert await refused(port, client_context(trust, None, tmp_path))
        assert await refused(port, client_context(trust, stranger, tmp_path))
        trust.add_anchor(stranger.cert_pem)  # registered without a CA: the leaf is its own anchor
        client = await Client.open(port, client_context(trust, stranger, tmp_path))
        assert await client.connect() == p.Connack(False, 0)

    run(scenario, broker, trust)


def test_alpn_port_dispatches_mqtt_publish_websocket_and_the_api(tmp_path: Path) -> None:
    broker, trust, plane = Broker(), Trust(), Plane()
    device = issue("device", trust.root)

    async def scenario(gateway: MqttListener) -> None:
        port = port_of(gateway, "alpn")
        mqtt = client_context(trust, device, tmp_path, ["x-amzn-mqtt-ca"])
        client = await Client.open(port, mqtt)
        assert await client.connect(level=5) == p.Connack(False, 0)
        assert broker.peers[-1].alpn == "x-amzn-mqtt-ca" and broker.peers[-1].certificate_der
        assert await refused(port, client_context(trust, None, tmp_path, ["x-amzn-mqtt-ca"]))

        https = client_context(trust, device, tmp_path, ["x-amzn-http-ca"])
        request = b"POST /topics/a%2Fb?qos=1&retain=true HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        request += b"x-amz-mqtt5-user-properties: W3siayI6InYifV0=\r\nConnection: close\r\n\r\nhi"
        answer = await http(port, https, request)
        assert answer.startswith(b"HTTP/1.1 200 OK") and b'"message": "OK"' in answer
        account, region, topic, payload, qos, retain, properties, peer = plane.published[0]
        assert (topic, payload, qos, retain) == ("a/b", b"hi", 1, True)
        assert properties.user_properties == [("k", "v")] and peer is not None and peer.transport == "https"

        plain = client_context(trust, None, tmp_path, ["http/1.1"])
        answer = await http(port, plain, b"GET /_headwater/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.endswith(b"GET /_headwater/health HTTP/1.1")  # spliced to the API
        assert not plane.published[1:]

    run(scenario, broker, trust, plane)


def test_https_port_publishes_as_the_certificate(tmp_path: Path) -> None:
    trust, plane = Trust(), Plane()
    device = issue("device", trust.root)

    async def scenario(gateway: MqttListener) -> None:
        port = port_of(gateway, "https")
        context = client_context(trust, device, tmp_path)
        bad = b"POST /topics/t?qos=2 HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        answer = await http(port, context, bad)
        assert answer.startswith(b"HTTP/1.1 400") and b"x-amzn-ErrorType: InvalidRequestException" in answer
        answer = await http(port, context, b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.endswith(b"GET /other HTTP/1.1")
        assert await refused(port, client_context(trust, None, tmp_path))

    run(scenario, Broker(), trust, plane)


async def websocket(port: int, context: ssl.SSLContext, target: str) -> tuple[Any, Any]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    ws = WSConnection(ConnectionType.CLIENT)
    writer.write(ws.send(Request(host=f"localhost:{port}", target=target, subprotocols=["mqtt"])))
    events: list[Any] = []
    while not any(isinstance(e, AcceptConnection | RejectConnection) for e in events):
        ws.receive_data(await asyncio.wait_for(reader.read(65536), 5))
        events += list(ws.events())
    return (reader, writer, ws), events


def presigned(port: int, secret: str = "secret") -> str:
    request = AWSRequest("GET", f"https://localhost:{port}/mqtt")
    SigV4QueryAuth(Credentials("AKIDEXAMPLE", secret), "iotdevicegateway", "eu-west-1", 3600).add_auth(
        request
    )
    return request.url.split(f":{port}", 1)[1] + "&X-Amz-Security-Token=unsigned"


@pytest.mark.parametrize("auth", ["open", "strict"])
def test_websocket_mqtt_with_sigv4(tmp_path: Path, auth: str) -> None:
    broker, trust = Broker(), Trust()
    config: dict[str, Any] = {"auth": auth, "credentials": {"AKIDEXAMPLE": "secret"}}

    async def scenario(gateway: MqttListener) -> None:
        port = port_of(gateway, "alpn")
        context = client_context(trust, None, tmp_path, ["http/1.1"])
        (reader, writer, ws), events = await websocket(port, context, presigned(port))
        assert isinstance(events[0], AcceptConnection) and events[0].subprotocol == "mqtt"
        codec = MqttConnection(server=False)
        writer.write(ws.send(BytesMessage(data=codec.send(p.Connect("w", protocol_level=5)))))
        packet = None
        while packet is None:
            ws.receive_data(await asyncio.wait_for(reader.read(65536), 5))
            for event in ws.events():
                codec.receive_data(bytes(event.data))
            packet = codec.next_packet()
        assert packet == p.Connack(False, 0)
        peer = broker.peers[0]
        assert (peer.transport, peer.access_key, peer.region) == ("wss", "AKIDEXAMPLE", "eu-west-1")
        _, events = await websocket(port, context, presigned(port, "wrong"))
        if auth == "strict":
            assert isinstance(events[0], RejectConnection) and events[0].status_code == 403
            body = b"".join(e.data for e in events if isinstance(e, RejectData))
            assert b"signature" in body.lower()
        else:
            assert isinstance(events[0], AcceptConnection)  # open: the signature is not checked
        _, events = await websocket(port, context, "/mqtt")
        assert isinstance(events[0], RejectConnection) and events[0].status_code == 403

    run(scenario, broker, trust, **config)


def test_default_ports_are_skipped_explicit_ones_refused() -> None:
    async def main() -> None:
        busy = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        number = busy.sockets[0].getsockname()[1]
        explicit = listener(Broker(), Trust(), iot_port=number, iot_alpn_port=0, iot_https_port=0)
        with pytest.raises(ListenerError, match=f"cannot listen on 127.0.0.1:{number}"):
            explicit.preflight()
        implicit = listener(Broker(), Trust(), iot_alpn_port=0, iot_https_port=0)
        implicit.ports[0].number = number  # as if 8883 were the busy default
        implicit.preflight()
        await implicit.start()  # skipped with a warning
        assert implicit.ports == [] and implicit.endpoints() == []
        await implicit.stop()
        no_trust = listener(Broker(), None)
        assert no_trust.ports == []  # no DeviceTrust: no TLS ports; plain MQTT stays opt-in
        busy.close()

    asyncio.run(main())


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def test_https_front_refuses_garbage_and_slow_heads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater.listeners.mqtt import http_front

    monkeypatch.setattr(http_front, "HEAD_TIMEOUT_S", 0.3)
    trust = Trust()

    async def scenario(gateway: MqttListener) -> None:
        port = port_of(gateway, "alpn")
        context = client_context(trust, None, tmp_path, ["http/1.1"])
        answer = await http(port, context, b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 Bad Request")
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost"
        )
        writer.write(b"GET / HTTP/1.1\r\n")  # and nothing more
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

    run(scenario, Broker(), trust)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_1_2_and_1_3(tmp_path: Path) -> None:
    broker, trust = Broker(), Trust()
    device = issue("device", trust.root)

    async def scenario(gateway: MqttListener) -> None:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = client_context(trust, device, tmp_path)
            context.minimum_version = context.maximum_version = version
            client = await Client.open(port_of(gateway, "mtls"), context)
            assert await client.connect() == p.Connack(False, 0)
            assert client.writer.get_extra_info("ssl_object").version() == version.name.replace("_", ".")
            client.close()
        old = client_context(trust, device, tmp_path)
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        assert await refused(port_of(gateway, "mtls"), old)

    run(scenario, broker, trust)
