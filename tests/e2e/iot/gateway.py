"""A Headwater with the device gateway's ports on free loopback ports, and devices registered in it
(boto3 `iot.create_keys_and_certificate`, an allow-all policy attached), for the IoT e2e tests."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import FAST, Server, free_port

ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}'


@dataclass
class Device:
    certificate_arn: str
    cert_path: str
    key_path: str


@dataclass
class Gateway:
    server: Server
    mqtt: int  # plain
    mtls: int
    alpn: int
    https: int

    @property
    def root_ca(self) -> str:
        return str(self.server.data_dir / "tls" / "iot-root-ca.pem")

    def iot(self, service: str = "iot", **options: Any) -> Any:
        return client_for(self.server.endpoint, service, **options)

    def device(self, folder: Path, name: str = "device") -> Device:
        iot = self.iot()
        made = iot.create_keys_and_certificate(setAsActive=True)
        cert, key = folder / f"{name}.pem.crt", folder / f"{name}.private.key"
        cert.write_text(made["certificatePem"])
        key.write_text(made["keyPair"]["PrivateKey"])
        policy = f"allow-{made['certificateId'][:12]}"
        iot.create_policy(policyName=policy, policyDocument=ALLOW_ALL)
        iot.attach_policy(policyName=policy, target=made["certificateArn"])
        return Device(made["certificateArn"], str(cert), str(key))


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def gateway(tmp_path_factory: pytest.TempPathFactory, mode: str = "relaxed") -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp(f"iot-{mode}") / "data"
    data_dir.mkdir()
    ports = {kind: free_port() for kind in ("mqtt", "mtls", "alpn", "https")}
    flags = (
        "--mqtt-port", str(ports["mqtt"]), "--iot-port", str(ports["mtls"]),
        "--iot-alpn-port", str(ports["alpn"]), "--iot-https-port", str(ports["https"]),
        "--iot-mode", mode,
    )  # fmt: skip
    server = Server(data_dir, *FAST, *flags).start()
    try:
        assert accepts(ports["mqtt"]), "the MQTT listener does not accept connections"
        yield Gateway(server, **ports)
    finally:
        server.stop()


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
