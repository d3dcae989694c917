"""awsiotsdk (awscrt, s2n) against the listener with a stand-in broker: mutual TLS on the MQTT port,
on the ALPN port (x-amzn-mqtt-ca set as the SDK sets it on 443), MQTT over WebSocket signed with
SigV4, and the MQTT 5 builder. The e2e matrix (tests/e2e/iot/) runs the same clients against the
real broker; this one pins the TLS and WebSocket interoperability on its own."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from awscrt import auth, io, mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

from tests.listeners.mqtt.fakes import Broker, Trust, issue, listener, port_of
from tests.listeners.mqtt.test_connection import free_port


def _roundtrip(connection: mqtt.Connection, topic: str) -> list[bytes]:
    got: list[bytes] = []
    connection.connect().result(10)
    try:
        subscribed, _ = connection.subscribe(
            topic, mqtt.QoS.AT_LEAST_ONCE, lambda topic, payload, **kw: got.append(payload)
        )
        subscribed.result(10)
        connection.publish(topic, b"hi", mqtt.QoS.AT_LEAST_ONCE)[0].result(10)
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        connection.disconnect().result(10)
    return got


def _mqtt5(port: int, cert: str, key: str, root: str) -> list[bytes]:
    connected: Future[Any] = Future()
    got: list[bytes] = []
    client = mqtt5_client_builder.mtls_from_path(
        endpoint="localhost", port=port, cert_filepath=cert, pri_key_filepath=key, ca_filepath=root, client_id="five",
        on_lifecycle_connection_success=lambda data: connected.set_result(True),
        on_lifecycle_connection_failure=lambda data: connected.set_exception(RuntimeError(str(data.exception))),
        on_publish_received=lambda data: got.append(data.publish_packet.payload),
    )  # fmt: skip
    client.start()
    try:
        connected.result(10)
        client.subscribe(mqtt5.SubscribePacket([mqtt5.Subscription("t/5", mqtt5.QoS.AT_LEAST_ONCE)])).result(
            10
        )
        client.publish(mqtt5.PublishPacket(topic="t/5", payload=b"hi", qos=mqtt5.QoS.AT_LEAST_ONCE)).result(
            10
        )
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        client.stop()
    return got


def test_awsiotsdk_mtls_alpn_websocket_and_mqtt5(tmp_path: Path) -> None:
    trust, broker = Trust(), Broker()
    device = issue("device", trust.root)
    cert, key = device.files(tmp_path, "device")
    root = tmp_path / "root.pem"
    root.write_bytes(trust.root.cert_pem)

    async def main() -> None:
        gateway = listener(
            broker, trust, None, iot_port=free_port(), iot_alpn_port=free_port(), iot_https_port=0
        )
        gateway.preflight()
        await gateway.start()
        mtls, alpn = port_of(gateway, "mtls"), port_of(gateway, "alpn")

        def clients() -> None:
            common: dict[str, Any] = {
                "endpoint": "localhost",
                "ca_filepath": str(root),
                "clean_session": True,
            }
            connection = mqtt_connection_builder.mtls_from_path(
                port=mtls, cert_filepath=cert, pri_key_filepath=key, client_id="a", **common
            )
            assert _roundtrip(connection, "t/1") == [b"hi"]
            options = io.TlsContextOptions.create_client_with_mtls_from_path(cert, key)
            options.alpn_list = ["x-amzn-mqtt-ca"]  # the SDK's own choice on port 443
            connection = mqtt_connection_builder._builder(options, port=alpn, client_id="b", **common)
            assert _roundtrip(connection, "t/2") == [b"hi"]
            credentials = auth.AwsCredentialsProvider.new_static("test", "test", "token")
            connection = mqtt_connection_builder.websockets_with_default_aws_signing(
                port=alpn, region="us-east-1", credentials_provider=credentials, client_id="c", **common
            )
            assert _roundtrip(connection, "t/3") == [b"hi"]
            assert _mqtt5(mtls, cert, key, str(root)) == [b"hi"]

        try:
            await asyncio.to_thread(clients)
        finally:
            await gateway.stop()
        kinds = [(peer.transport, peer.alpn, peer.access_key) for peer in broker.peers]
        assert kinds == [
            ("mtls", None, None),
            ("mtls", "x-amzn-mqtt-ca", None),
            ("wss", None, "test"),
            ("mtls", None, None),
        ]
        assert all(peer.server_name == "localhost" for peer in broker.peers)

    asyncio.run(main())


def test_awsiotsdk_websocket_signature_verified_in_strict_mode(tmp_path: Path) -> None:
    """awscrt signs the upgrade in its query string and appends the session token unsigned: strict
    mode verifies that signature, and refuses a wrong secret."""
    trust, broker = Trust(), Broker()
    root = tmp_path / "root.pem"
    root.write_bytes(trust.root.cert_pem)

    async def main() -> None:
        gateway = listener(
            broker, trust, None, auth="strict", credentials={"AKIDSTRICT": "right"},
            iot_port=0, iot_alpn_port=free_port(), iot_https_port=0,
        )  # fmt: skip
        gateway.preflight()
        await gateway.start()
        alpn = port_of(gateway, "alpn")

        def connect(secret: str) -> Any:
            credentials = auth.AwsCredentialsProvider.new_static("AKIDSTRICT", secret, "a-session-token")
            connection = mqtt_connection_builder.websockets_with_default_aws_signing(
                endpoint="localhost", port=alpn, region="eu-west-1", credentials_provider=credentials,
                ca_filepath=str(root), client_id="strict", clean_session=True,
            )  # fmt: skip
            try:
                return connection.connect().result(10)
            except Exception as exc:
                return exc
            finally:
                connection.disconnect()

        try:
            assert isinstance(await asyncio.to_thread(connect, "right"), dict)
            assert isinstance(await asyncio.to_thread(connect, "wrong"), Exception)
        finally:
            await gateway.stop()
        assert [(peer.access_key, peer.region) for peer in broker.peers] == [("AKIDSTRICT", "eu-west-1")]

    asyncio.run(main())
