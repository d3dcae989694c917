"""Issue 14's durability guarantees with real paho-mqtt 3.1.1 and 5 clients: in durable mode a
server killed with SIGKILL and started again keeps retained messages, persistent sessions (their
subscriptions and the QoS 1 messages acknowledged to publishers while they were offline) and the
messages in flight (sent, not PUBACKed) when it died; sessions still expire on the server's clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.iot.durable import Session, durable_gateway
from tests.e2e.iot.gateway import wait_for
from tests.e2e.iot.paho_clients import Paho, tls

VERSIONS = ["3.1.1", "5"]


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_messages_survive_kill_9(tmp_path: Path, version: str) -> None:
    with durable_gateway(tmp_path) as running:
        publisher = Paho(f"retainer-{version}", version).connect(running.gateway.mqtt)
        publisher.publish("lamp/state", b"on", qos=1, retain=True)
        publisher.publish("lamp/cleared", b"soon gone", qos=1, retain=True)
        publisher.publish("lamp/cleared", b"", qos=1, retain=True)  # an empty retained payload deletes
        publisher.client.loop_stop()
        gateway = running.crash()
        reader = Paho(f"reader-{version}", version).connect(gateway.mqtt)
        try:
            reader.subscribe("lamp/#")
            assert reader.received(1)[0] == ("lamp/state", b"on", True)
            time.sleep(0.2)  # nothing else is retained under lamp/
            assert len(reader.messages) == 1
            stored = gateway.iot("iot-data").get_retained_message(topic="lamp/state")
            assert stored["payload"] == b"on"
        finally:
            reader.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_persistent_session_and_its_queue_survive_kill_9(tmp_path: Path, version: str) -> None:
    with durable_gateway(tmp_path) as running:
        port = running.gateway.mqtt
        away = Session(f"away-{version}", version).connect(port)
        assert away.session_present is False
        away.subscribe(f"queued/{version}/#")
        away.close()
        publisher = Paho(f"queuer-{version}", version).connect(port)
        for number in range(5):  # each PUBACK means the message is on disk in the session's queue
            publisher.publish(f"queued/{version}/{number}", b"m%d" % number, qos=1)
        publisher.publish(f"queued/{version}/zero", b"qos0 is not kept", qos=0)
        publisher.client.loop_stop()
        gateway = running.crash()
        back = Session(f"away-{version}", version).connect(gateway.mqtt)
        try:
            assert back.session_present is True
            assert back.payloads(5) == [b"m0", b"m1", b"m2", b"m3", b"m4"]
            # its subscription came back with it: live messages route without a new SUBSCRIBE
            sender = Paho(f"live-{version}", version).connect(gateway.mqtt)
            sender.publish(f"queued/{version}/live", b"live", qos=1)
            sender.close()
            assert back.payloads(6)[5] == b"live"
        finally:
            back.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_messages_in_flight_at_kill_9_are_delivered_again(tmp_path: Path, version: str) -> None:
    with durable_gateway(tmp_path) as running:
        port = running.gateway.mqtt
        holder = Session(f"holder-{version}", version, manual_ack=True).connect(port)
        holder.subscribe("inflight/#")
        publisher = Paho(f"feeder-{version}", version).connect(port)
        for number in range(3):
            publisher.publish(f"inflight/{number}", b"f%d" % number, qos=1)
        assert holder.payloads(3) == [b"f0", b"f1", b"f2"]  # received, never PUBACKed
        holder.client.ack(holder.messages[0].mid, 1)  # the first one is acknowledged
        time.sleep(0.3)  # (the PUBACK reaches the server; its removal may or may not be on disk)
        publisher.client.loop_stop()
        holder.abandon()
        gateway = running.crash()
        again = Session(f"holder-{version}", version).connect(gateway.mqtt)
        try:
            assert again.session_present is True
            redelivered = again.payloads(2)
            assert redelivered[-2:] == [b"f1", b"f2"]
            assert set(redelivered) <= {b"f0", b"f1", b"f2"}
        finally:
            again.close()


@pytest.mark.parametrize(("version", "expiry"), [("3.1.1", 3600), ("5", 60)])
def test_a_session_expires_on_the_server_clock_across_a_restart(
    tmp_path: Path, version: str, expiry: int
) -> None:
    with durable_gateway(tmp_path) as running:
        port = running.gateway.mqtt
        gone = Session(f"expiring-{version}", version, expiry=expiry).connect(port)
        gone.subscribe("expiring/#")
        gone.close()
        publisher = Paho(f"expirer-{version}", version).connect(port)
        publisher.publish("expiring/a", b"lost with the session", qos=1)
        publisher.client.loop_stop()
        gateway = running.crash()
        gateway.server.advance(expiry + 1)
        fresh = Session(f"expiring-{version}", version, expiry=expiry).connect(gateway.mqtt)
        try:
            assert fresh.session_present is False
            time.sleep(0.3)
            assert fresh.messages == []
            # the expired session's subscription is gone too
            sender = Paho(f"after-{version}", version).connect(gateway.mqtt)
            sender.publish("expiring/b", b"nobody listens", qos=1)
            sender.close()
            time.sleep(0.3)
            assert fresh.messages == []
        finally:
            fresh.close()


def test_a_device_session_over_mutual_tls_survives_kill_9(tmp_path: Path) -> None:
    """AWS mode, a certificate made by the API: the session and its queue belong to the
    certificate's account, restored after the kill, and replayed at AWS's 10 messages a second."""
    with durable_gateway(tmp_path, "aws") as running:
        gateway = running.gateway
        device = gateway.device(tmp_path)
        context = tls(gateway.root_ca, device.cert_path, device.key_path)
        away = Session("tls-away", "5")
        away.client.tls_set_context(context)
        away.connect(gateway.mtls)
        away.subscribe("devices/tls-away/inbox")
        away.close()
        data = gateway.iot("iot-data")
        for number in range(12):
            data.publish(topic="devices/tls-away/inbox", qos=1, payload=b"away %d" % number)
        gateway = running.crash()
        back = Session("tls-away", "5")
        back.client.tls_set_context(tls(gateway.root_ca, device.cert_path, device.key_path))
        started = time.monotonic()
        back.connect(gateway.mtls)
        try:
            assert back.session_present is True
            assert back.payloads(12) == [b"away %d" % number for number in range(12)]
            assert time.monotonic() - started >= 1.0  # the first at once, 11 more at 10 a second
        finally:
            back.close()


@pytest.mark.parametrize("clean", [False, True])
def test_delete_connection_keeps_or_ends_a_persistent_session(tmp_path: Path, clean: bool) -> None:
    """DeleteConnection: the will is published unless preventWillMessage; cleanSession=true drops
    the persistent session (and its queue), otherwise it outlives the connection and a kill -9."""
    with durable_gateway(tmp_path) as running:
        gateway = running.gateway
        watcher = Paho("will-watcher", "5").connect(gateway.mqtt)
        watcher.subscribe("wills/#")
        device = Session("deleted", "3.1.1")
        device.client.will_set("wills/deleted", b"gone", qos=1)
        device.connect(gateway.mqtt)
        device.subscribe("deleted/inbox")
        data = gateway.iot("iot-data")
        data.delete_connection(clientId="deleted", cleanSession=clean, preventWillMessage=clean)
        wait_for(lambda: not device.client.is_connected(), what="the connection to end")
        device.client.loop_stop()
        if clean:
            time.sleep(0.3)
            assert watcher.messages == []
        else:
            assert watcher.received(1)[0] == ("wills/deleted", b"gone", False)
        watcher.close()
        data.publish(topic="deleted/inbox", qos=1, payload=b"queued")
        gateway = running.crash()
        back = Session("deleted", "3.1.1").connect(gateway.mqtt)
        try:
            assert back.session_present is (not clean)
            if not clean:
                assert back.payloads(1) == [b"queued"]
        finally:
            back.close()
