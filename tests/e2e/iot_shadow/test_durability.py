"""kill -9 keeps every accepted shadow update: the service answers `/update/accepted` (and the REST
response) only once the write is on disk, so whatever a client was told survives a crash, with
its version, its named shadows, a deleted shadow's version and the history."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.iot.gateway import Gateway, accepts, wait_for
from tests.e2e.iot.paho_clients import Paho, tls
from tests.e2e.iot_shadow.conftest import document, update
from tests.e2e.support.server import DURABLE, Server, free_port

BASE = "$aws/things/crash/shadow"


def _durable_gateway(data_dir: Path) -> Gateway:
    ports = {kind: free_port() for kind in ("mqtt", "mtls", "alpn", "https")}
    flags = (
        "--iot-port", str(ports["mtls"]), "--iot-alpn-port", "0", "--iot-https-port", "0", "--iot-mode", "aws",
    )  # fmt: skip
    server = Server(data_dir, *DURABLE, *flags).start()
    assert wait_for(lambda: accepts(ports["mtls"]), what="the MQTT port")
    return Gateway(server, **ports)


def test_accepted_updates_survive_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = _durable_gateway(data_dir)
    try:
        made = first.device(tmp_path)
        client = Paho("crash-device", "5", tls(first.root_ca, made.cert_path, made.key_path)).connect(
            first.mtls
        )
        client.subscribe(f"{BASE}/update/accepted")
        client.subscribe(f"{BASE}/update/rejected")
        data = first.iot("iot-data")
        update(data, "crash", {"desired": {"target": 21}}, name="thermostat")
        update(data, "gone", {"reported": {"x": 1}})
        update(data, "gone", {"reported": {"x": 2}})
        data.delete_thing_shadow(thingName="gone")
        # 60 requests sent without waiting for answers (QoS 1, then QoS 0): AWS's limit of 10 in flight
        # per connection refuses some of them (429); every accepted one must survive
        for n in range(60):
            body = json.dumps({"state": {"reported": {f"k{n}": n}}, "clientToken": f"t{n}"}).encode()
            client.client.publish(f"{BASE}/update", body, qos=1 if n < 30 else 0)
        answers = wait_for(lambda: client.messages[59:] and list(client.messages), what="60 answers")
        accepted = [json.loads(m[1]) for m in answers if m[0] == f"{BASE}/update/accepted"]
        rejected = [json.loads(m[1]) for m in answers if m[0] == f"{BASE}/update/rejected"]
        assert {r["code"] for r in rejected} <= {429} and len(accepted) >= 20
        kept = {f"k{n}": n for n in range(60) if f"t{n}" in {a["clientToken"] for a in accepted}}
        first.server.kill()
        client.client.loop_stop()
    finally:
        first.server.stop()

    second = Server(data_dir, *DURABLE).start()
    try:
        data = second_data = Gateway(second, 0, 0, 0, 0).iot("iot-data")
        shadow = document(data.get_thing_shadow(thingName="crash"))
        assert shadow["version"] == max(a["version"] for a in accepted) == len(accepted)
        assert shadow["state"]["reported"] == kept
        named = document(second_data.get_thing_shadow(thingName="crash", shadowName="thermostat"))
        assert named["state"]["desired"] == {"target": 21}
        assert (
            update(data, "gone", {"reported": {"x": 3}})["version"] == 3
        )  # the tombstone's version carried on
        history = second.admin("GET", "iot/shadow-history?thing=crash")
        assert len(history["changes"]) == len(accepted)  # type: ignore[arg-type]
    finally:
        second.stop()
