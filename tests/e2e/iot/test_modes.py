"""The two broker modes with real paho clients: relaxed (generic MQTT tooling: anonymous plain MQTT,
QoS 2 downgraded to 1, no size limit) and AWS-exact (QoS 2 as AWS IoT treats it, 128 KB payloads)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho, tls

VERSIONS = ["3.1.1", "5"]


def _watch_disconnect(client: Paho) -> list[int]:
    reasons: list[int] = []

    def on_disconnect(c: object, data: object, flags: object, reason: object, properties: object) -> None:
        reasons.append(int(getattr(reason, "value", reason)))  # type: ignore[call-overload]
        client.disconnected.set()

    client.client.on_disconnect = on_disconnect
    return reasons


@pytest.mark.parametrize("version", VERSIONS)
def test_relaxed_mode_downgrades_qos_2_and_takes_large_payloads(relaxed: Gateway, version: str) -> None:
    subscriber = Paho(f"relaxed-sub-{version}", version).connect(relaxed.mqtt)
    publisher = Paho(f"relaxed-pub-{version}", version).connect(relaxed.mqtt)  # anonymous, plain MQTT
    try:
        _, mid = subscriber.client.subscribe(f"relaxed/{version}/#", 2)
        wait_for(lambda: mid in subscriber.acked, what="SUBACK")
        publisher.publish(f"relaxed/{version}/q2", b"exactly once?", qos=2)  # PUBREC, PUBREL, PUBCOMP
        big = bytes(range(256)) * 800  # 200 KB: over AWS's 128 KB
        publisher.publish(f"relaxed/{version}/big", big, qos=1)
        wait_for(lambda: len(subscriber.messages) >= 2, what="both messages")
        assert subscriber.messages[0] == (f"relaxed/{version}/q2", b"exactly once?", False)
        assert subscriber.messages[1] == (f"relaxed/{version}/big", big, False)
    finally:
        subscriber.close()
        publisher.close()


def _device(aws: Gateway, tmp_path: Path, client_id: str, version: str) -> Paho:
    device = aws.device(tmp_path, client_id)
    return Paho(client_id, version, tls(aws.root_ca, device.cert_path, device.key_path))


def test_aws_mode_ignores_a_3_1_1_qos_2_publish(aws: Gateway, tmp_path: Path) -> None:
    """AWS IoT sends no PUBACK (nor PUBREC) for a QoS 2 PUBLISH from an MQTT 3.1.1 client, and the
    connection stays up."""
    client = _device(aws, tmp_path, "aws-q2-v3", "3.1.1").connect(aws.mtls)
    try:
        client.subscribe("awsq2/#")
        info = client.client.publish("awsq2/a", b"qos2", qos=2)
        time.sleep(0.5)
        assert info.mid not in client.acked and client.messages == []
        client.publish("awsq2/b", b"qos1", qos=1)  # still connected
        assert client.received(1) == [("awsq2/b", b"qos1", False)]
        _, mid = client.client.subscribe("awsq2-sub/#", 2)  # and no SUBACK for a QoS 2 subscription
        time.sleep(0.5)
        assert mid not in client.acked
    finally:
        client.close()


def test_aws_mode_refuses_qos_2_from_mqtt_5(aws: Gateway, tmp_path: Path) -> None:
    client = _device(aws, tmp_path, "aws-q2-v5", "5")
    reasons = _watch_disconnect(client)
    client.connect(aws.mtls)
    try:
        client.client.publish("awsq2v5/a", b"qos2", qos=2)
        wait_for(lambda: reasons, what="the DISCONNECT")
        assert reasons[0] == 0x9B  # QoS not supported
    finally:
        client.client.loop_stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_aws_mode_enforces_the_128_kb_payload_limit(aws: Gateway, tmp_path: Path, version: str) -> None:
    watcher = _device(aws, tmp_path, f"aws-big-watch-{version}", "5").connect(aws.mtls)
    watcher.subscribe(f"awsbig/{version}/#")
    client = _device(aws, tmp_path, f"aws-big-{version}", version)
    reasons = _watch_disconnect(client)
    client.connect(aws.mtls)
    try:
        client.publish(f"awsbig/{version}/fits", b"x" * (128 * 1024), qos=1)  # exactly 128 KB is allowed
        assert watcher.received(1)[0][1] == b"x" * (128 * 1024)
        client.client.publish(f"awsbig/{version}/over", b"x" * (128 * 1024 + 1), qos=1)
        wait_for(client.disconnected.is_set, what="the connection to end")
        if version == "5":
            assert reasons[0] == 0x95  # packet too large
        time.sleep(0.3)
        assert len(watcher.messages) == 1
    finally:
        client.client.loop_stop()
        watcher.close()
