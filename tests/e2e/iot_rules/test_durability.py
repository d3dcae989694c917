"""A rule's delivery survives kill -9 between receipt and delivery: the PUBACK means the outbox
holds the message; its target is missing until after the restart, then the record arrives."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.iot.gateway import Gateway, accepts, wait_for
from tests.e2e.iot_rules.support import ROLE, kinesis_records, publish, rule
from tests.e2e.support.server import DURABLE, Server, free_port


def _server(data_dir: Path, ports: dict[str, int]) -> Server:
    flags = (
        "--mqtt-port", str(ports["mqtt"]), "--iot-port", str(ports["mtls"]),
        "--iot-alpn-port", str(ports["alpn"]), "--iot-https-port", str(ports["https"]),
        "--iot-mode", "relaxed",
    )  # fmt: skip
    server = Server(data_dir, *DURABLE, *flags).start()
    assert wait_for(lambda: accepts(ports["mqtt"]), what="the MQTT port")
    return server


def test_delivery_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ports = {kind: free_port() for kind in ("mqtt", "mtls", "alpn", "https")}
    server = _server(data_dir, ports)
    try:
        gw = Gateway(server, **ports)
        gw.iot().create_topic_rule(
            ruleName="later",
            topicRulePayload=rule(
                "SELECT * FROM 'plant/+/reading'",
                {"kinesis": {"streamName": "late-stream", "partitionKey": "${topic(2)}", "roleArn": ROLE}},
            ),
        )
        for number in range(3):
            publish(gw, f"plant/p{number}/reading", {"n": number})  # PUBACKed: in the outbox
    finally:
        server.kill()
    server = _server(data_dir, ports)
    try:
        gw = Gateway(server, **ports)
        kinesis = gw.iot("kinesis")
        kinesis.create_stream(StreamName="late-stream", ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName="late-stream", WaiterConfig={"Delay": 0.2})

        def arrived() -> list[int]:
            server.advance(20)  # past the retries' backoff
            return sorted(json.loads(r["Data"])["n"] for r in kinesis_records(kinesis, "late-stream"))

        got = wait_for(lambda: (n := arrived()) and len(set(n)) >= 3 and n, 30, "the three records")
        assert set(got) == {0, 1, 2}  # at least once: a redelivery may repeat one
        keys = {r["PartitionKey"] for r in kinesis_records(kinesis, "late-stream")}
        assert keys == {"p0", "p1", "p2"}
    finally:
        server.stop()
