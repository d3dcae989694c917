"""mTLS for the benchmark: a CA and server certificate on ECDSA P-256 keys (as Headwater's own IoT CA and
server certificate), a client certificate on an RSA 2048 key (as AWS IoT's CreateKeysAndCertificate
issues, and Headwater's), so every broker does the same handshake work; and the connect-rate loop: TCP connect, TLS handshake with the client certificate, CONNECT/CONNACK,
DISCONNECT, close, as many times as possible for a while, from worker processes.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import multiprocessing
import os
import ssl
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bench.iot import codec
from bench.iot.clients import cpu_seconds, open_mqtt
from bench.iot.cpu import process_cpu


@dataclass(frozen=True, slots=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _key(kind: str) -> Key:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(key: Key, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def make_certs(directory: Path) -> Certs:
    """A fresh CA and the server (127.0.0.1, localhost) and client certificates it signs."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = _key("ec")
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("headwater bench CA"))
        .issuer_name(_name("headwater bench CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(
        cn: str, kind: str, usage: x509.ObjectIdentifier, names: list[x509.GeneralName]
    ) -> tuple[Any, Any]:
        key = _key(kind)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    server, server_key = leaf(
        "localhost",
        "ec",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client, client_key = leaf("bench-device", "rsa", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    certs = Certs(
        *(directory / n for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key"))
    )
    certs.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    certs.client_cert.write_bytes(client.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, certs.server_key)
    _write_key(client_key, certs.client_key)
    return certs


def client_context(ca: Path | None, cert: Path, key: Path) -> ssl.SSLContext:
    """The device's side; with no `ca` the server's certificate is not checked (its CA is unknown)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca) if ca else None)
    if ca is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


async def _loops(
    host: str, port: int, files: tuple[str | None, str, str], start: float, end: float, conc: int
) -> dict[str, Any]:
    ctx = client_context(Path(files[0]) if files[0] else None, Path(files[1]), Path(files[2]))
    done, errors = 0, []
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu0 = cpu_seconds()

    async def loop(k: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < end:
            try:
                reader, writer = await open_mqtt(host, port, f"bench-tls-{os.getpid()}-{k}-{n}", ssl=ctx)
                writer.write(codec.DISCONNECT)
                writer.close()
                await writer.wait_closed()
                done += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                errors.append(repr(exc))
                await asyncio.sleep(0.05)
            n += 1

    await asyncio.gather(*(loop(k) for k in range(conc)))
    return {"connects": done, "errors": errors[:3], "error_count": len(errors), "cpu_s": cpu_seconds() - cpu0}


def _run(
    host: str, port: int, files: tuple[str | None, str, str], start: float, end: float, conc: int
) -> dict[str, Any]:
    return asyncio.run(_loops(host, port, files, start, end, conc))


def connect_rate(
    host: str,
    port: int,
    ca: Path | None,
    cert: Path,
    key: Path,
    *,
    duration: float,
    procs: int = 2,
    conc: int = 4,
    broker_pid: int | None = None,
) -> dict[str, Any]:
    """mTLS connects/s from `procs` processes x `conc` concurrent loops over `duration` s."""
    files = (str(ca) if ca else None, str(cert), str(key))
    load = os.getloadavg()[0]
    with ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context("spawn")) as pool:
        start = time.monotonic() + 2.0  # after the workers have started
        futures = [pool.submit(_run, host, port, files, start, start + duration, conc) for _ in range(procs)]
        broker0 = process_cpu(broker_pid) if broker_pid else 0.0
        parts = [f.result() for f in futures]
        broker_cpu = process_cpu(broker_pid) - broker0 if broker_pid else None
    connects = sum(p["connects"] for p in parts)
    return {
        "connects_per_s": connects / duration,
        "connects": connects,
        "failures": sum(p["error_count"] for p in parts),
        "errors": [e for p in parts for e in p["errors"]][:3],
        "client_cpu_s": sum(p["cpu_s"] for p in parts),
        "client_cpu_ms_per_connect": sum(p["cpu_s"] for p in parts) / connects * 1e3 if connects else None,
        "broker_cpu_ms_per_connect": broker_cpu / connects * 1e3
        if broker_cpu is not None and connects
        else None,
        "load": round(load, 2),
    }
