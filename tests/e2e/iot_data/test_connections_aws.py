"""iot-data's connection operations in AWS mode, with a device on mutual TLS whose certificate is
attached to a thing and to a policy of its own: GetConnection names the thing, and a direct message
needs the receiver's iot:Receive on the topic (the receiver need not subscribe)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway, gateway, wait_for
from tests.e2e.iot.policies import ARN, CONNECT_ANY, Probe, allow, certificate


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway(tmp_path_factory, "aws") as running:
        yield running


def test_the_thing_and_the_receivers_policy(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(aws, tmp_path, CONNECT_ANY, allow("iot:Receive", f"{ARN}:topic/cmd/allowed"))
    iot = aws.iot()
    iot.create_thing(thingName="pump-1")
    iot.attach_thing_principal(thingName="pump-1", principal=cert.arn)
    device = Probe("pump-1", "3.1.1", cert.context(aws)).connect(aws.mtls)
    data = aws.iot("iot-data")
    try:
        got = data.get_connection(clientId="pump-1", includeSocketInformation=True)
        assert (got["thingName"], got["connected"], got["cleanSession"]) == ("pump-1", True, True)
        assert (got["keepAliveDuration"], got["sessionExpiry"], got["targetPort"]) == (60, 0, aws.mtls)
        data.send_direct_message(clientId="pump-1", topic="cmd/allowed", payload=b"on", confirmation=True)
        wait_for(lambda: device.messages, what="the direct message")
        assert device.messages == [("cmd/allowed", b"on", False)]
        with pytest.raises(ClientError) as denied:
            data.send_direct_message(clientId="pump-1", topic="cmd/other", payload=b"x")
        assert denied.value.response["Error"]["Code"] == "ForbiddenException"
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        device.client.disconnect()
        device.client.loop_stop()
