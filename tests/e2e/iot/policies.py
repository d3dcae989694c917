"""What the policy e2e tests share: certificates with the policies a test writes (not the gateway's
allow-all device), policy documents, and a paho client that records everything the broker answers
(CONNACK, SUBACK and PUBACK reason codes, DISCONNECT) instead of asserting success."""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import VERSIONS, tls

ARN = "arn:aws:iot:us-east-1:000000000000"
NOT_AUTHORIZED = 0x87  # MQTT 5
V3_SUBACK_FAILURE = 0x80
TIMEOUT = 10.0


def statement(
    effect: str, actions: str | list[str], resources: str | list[str], **extra: Any
) -> dict[str, Any]:
    return {"Effect": effect, "Action": actions, "Resource": resources, **extra}


def allow(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return statement("Allow", actions, resources, **extra)


def deny(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return statement("Deny", actions, resources, **extra)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CONNECT_ANY = allow("iot:Connect", f"{ARN}:client/*")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Cert:
    arn: str
    id: str
    cert_path: str
    key_path: str

    def context(self, gateway: Gateway) -> ssl.SSLContext:
        return tls(gateway.root_ca, self.cert_path, self.key_path)


def certificate(gateway: Gateway, folder: Path, *statements: dict[str, Any]) -> Cert:
    """A new ACTIVE certificate (CreateKeysAndCertificate) with a policy of these statements
    attached (none: no policy)."""
    iot = gateway.iot()
    made = iot.create_keys_and_certificate(setAsActive=True)
    name = made["certificateId"][:16]
    cert, key = folder / f"{name}.pem.crt", folder / f"{name}.private.key"
    cert.write_text(made["certificatePem"])
    key.write_text(made["keyPair"]["PrivateKey"])
    found = Cert(made["certificateArn"], made["certificateId"], str(cert), str(key))
    if statements:
        attach(gateway, found.arn, *statements)
    return found


def attach(gateway: Gateway, target: str, *statements: dict[str, Any]) -> str:
    """Creates a policy of these statements and attaches it to `target`; returns its name."""
    name = unique("policy")
    iot = gateway.iot()
    iot.create_policy(policyName=name, policyDocument=document(*statements))
    iot.attach_policy(policyName=name, target=target)
    return name


class Probe:
    """A paho client (3.1.1 or 5) that keeps what the broker answered. It never reconnects."""

    def __init__(self, client_id: str, version: str, context: ssl.SSLContext) -> None:
        self.version = version
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=VERSIONS[version]
        )
        self.client.tls_set_context(context)
        self.connack: int | None = None
        self.disconnect: int | None = None  # the DISCONNECT's reason code (MQTT 5), or -1: closed
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.messages: list[tuple[str, bytes, bool]] = []
        self.subacks: dict[int, list[int]] = {}
        self.pubacks: dict[int, int] = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = lambda client, data, message: self.messages.append(
            (message.topic, message.payload, bool(message.retain))
        )
        self.client.on_subscribe = lambda client, data, mid, codes, properties: self.subacks.__setitem__(
            mid, [code.value for code in codes]
        )
        self.client.on_publish = lambda client, data, mid, code, properties: self.pubacks.__setitem__(
            mid, code.value
        )

    def _on_connect(self, client: Any, data: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connack = reason.value
        self.connected.set()

    def _on_disconnect(self, client: Any, data: Any, flags: Any, reason: Any, properties: Any) -> None:
        from_server = getattr(flags, "is_disconnect_packet_from_server", False)
        self.disconnect = reason.value if from_server else -1
        self.closed.set()
        client.disconnect()  # no automatic reconnect: a test looks at one connection

    def start(self, port: int) -> Probe:
        """Connects (TLS and CONNECT) and waits for the CONNACK or the close."""
        self.client.connect("localhost", port, keepalive=60)
        self.client.loop_start()
        wait_for(lambda: self.connected.is_set() or self.closed.is_set(), TIMEOUT, "a CONNACK or a close")
        return self

    def connect(self, port: int) -> Probe:
        self.start(port)
        assert self.connack == 0, f"CONNACK {self.connack}, closed {self.closed.is_set()}"
        return self

    @property
    def refused_without_connack(self) -> bool:
        return self.closed.is_set() and self.connack is None

    def subscribe(self, topic: str, qos: int = 1) -> list[int]:
        _, mid = self.client.subscribe(topic, qos)
        return wait_for(lambda: self.subacks.get(mid), TIMEOUT, f"the SUBACK for {topic}")

    def publish(self, topic: str, payload: bytes = b"x", qos: int = 1, retain: bool = False) -> int:
        """The PUBACK's reason code (0 for MQTT 3.1.1) once it arrives; for QoS 0, 0 once sent."""
        info = self.client.publish(topic, payload, qos, retain)
        if qos == 0:
            info.wait_for_publish(TIMEOUT)
            return 0
        wait_for(lambda: info.mid in self.pubacks, TIMEOUT, f"the PUBACK for {topic}")
        return self.pubacks[info.mid]

    def publish_unanswered(
        self, topic: str, payload: bytes = b"x", qos: int = 1, retain: bool = False
    ) -> None:
        """A PUBLISH the broker is expected to close the connection over (3.1.1)."""
        self.client.publish(topic, payload, qos, retain)

    def received(self, count: int) -> list[tuple[str, bytes, bool]]:
        wait_for(lambda: len(self.messages) >= count, TIMEOUT, f"{count} messages")
        return self.messages

    def wait_closed(self) -> int | None:
        assert self.closed.wait(TIMEOUT), "the broker did not close the connection"
        return self.disconnect

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def probe(gateway: Gateway, cert: Cert, client_id: str, version: str = "5") -> Probe:
    """A connected Probe (the CONNACK said 0) on the mutual-TLS port."""
    return Probe(client_id, version, cert.context(gateway)).connect(gateway.mtls)
