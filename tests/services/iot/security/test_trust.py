"""The device gateway's TLS material: a server certificate a client trusting the local root CA
accepts for "localhost" and the endpoint names, client anchors that verify device certificates,
and a generation that moves with every change of trust."""

from __future__ import annotations

import asyncio
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import SystemClock
from headwater.services.iot.security import endpoints
from headwater.services.iot.security.authority import Authority, key_pem, new_device_key, pem
from headwater.services.iot.security.part import SecurityPart


@pytest.fixture(scope="module")
def part() -> SecurityPart:
    engine = MemoryEngine()
    built = SecurityPart(Config(tls_names=("devices.example",)), engine.meta, engine.ordered, SystemClock())

    async def start() -> None:
        await engine.start()
        await built.start()

    asyncio.run(start())
    return built


def _files(folder: Path, **contents: bytes | str) -> dict[str, str]:
    paths = {}
    for name, content in contents.items():
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths[name] = str(path)
    return paths


def _serve(context: ssl.SSLContext, listener: socket.socket, seen: list[bytes | None]) -> None:
    connection, _ = listener.accept()
    try:
        with context.wrap_socket(connection, server_side=True) as tls:
            seen.append(tls.getpeercert(binary_form=True))
            tls.sendall(b"ok")
    except (ssl.SSLError, OSError) as exc:
        seen.append(repr(exc).encode())


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _handshake(
    part: SecurityPart, folder: Path, name: str, client_cert: tuple[str, str] | None
) -> list[bytes | None]:
    material = part.material()
    files = _files(
        folder,
        chain=material.server_cert_pem,
        key=material.server_key_pem,
        anchors=material.client_anchors_pem,
        root=part.root_ca_pem(),
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files["chain"], files["key"])
    server.load_verify_locations(files["anchors"])
    server.verify_mode = ssl.CERT_REQUIRED if client_cert else ssl.CERT_NONE
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes | None] = []
    thread = threading.Thread(target=_serve, args=(server, listener, seen))
    thread.start()
    client = ssl.create_default_context(cafile=files["root"])
    if client_cert:
        paths = _files(folder, device=client_cert[0], device_key=client_cert[1])
        client.load_cert_chain(paths["device"], paths["device_key"])
    try:
        with (
            socket.create_connection(listener.getsockname(), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.recv(2) == b"ok"
    finally:
        thread.join(10)
        listener.close()
    return seen


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "abcdefghijklmn-ats.iot.eu-west-1.localhost",
        "x.credentials.iot.us-east-1.localhost",
        "devices.example",
    ],
)
def test_a_client_trusting_the_root_accepts_the_server_certificate(
    part: SecurityPart, folder: Path, name: str
) -> None:
    _handshake(part, folder, name, None)


def test_the_server_certificate_does_not_cover_other_names(part: SecurityPart, folder: Path) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(part, folder, "example.com", None)


def test_device_certificates_of_the_local_ca_pass_mutual_tls(part: SecurityPart, folder: Path) -> None:
    key = new_device_key()
    cert = part.ca().issue_device(key.public_key())
    seen = _handshake(part, folder, "localhost", (pem(cert) + part.ca().issuing_pem, key_pem(key)))
    assert seen == [cert.public_bytes(serialization.Encoding.DER)]


def test_device_certificates_of_another_ca_are_refused(part: SecurityPart, folder: Path) -> None:
    stranger = Authority.create()
    key = new_device_key()
    cert = stranger.issue_device(key.public_key())
    # TLS 1.3: the client learns of the refusal when it reads the server's alert
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(part, folder, "localhost", (pem(cert) + stranger.issuing_pem, key_pem(key)))


def test_the_chain_is_kept_and_names_the_root(part: SecurityPart) -> None:
    root = x509.load_pem_x509_certificate(part.root_ca_pem())
    assert (
        root.subject.rfc4514_string().endswith("CN=Headwater IoT Root CA")
        or "Headwater IoT Root CA" in root.subject.rfc4514_string()
    )
    again = Authority.load(part.ca().dump())
    assert again.root_pem == part.ca().root_pem and again.issuing_pem == part.ca().issuing_pem


def test_generation_moves_when_trust_changes(part: SecurityPart) -> None:
    before = part.material()
    assert part.material() is before  # cached while nothing changes
    part.changed()
    after = part.material()
    assert after.generation == before.generation + 1


def test_endpoint_names() -> None:
    assert len(endpoints.prefix("123456789012")) == 14
    assert (
        endpoints.prefix("123456789012")
        == endpoints.prefix("123456789012")
        != endpoints.prefix("000000000000")
    )
    assert endpoints.address("iot:Data-ATS", "1" * 12, "eu-west-1", True).endswith(
        "-ats.iot.eu-west-1.localhost"
    )
    assert endpoints.address("iot:Data-ATS", "1" * 12, "eu-west-1", False) == "localhost"
    assert "us-east-1" in endpoints.regions() and "eu-central-1" in endpoints.regions()
