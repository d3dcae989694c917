"""A self-signed certificate for the TLS listener, generated into the data directory.

It covers the names clients reach a local server by: localhost and its one-label subdomains (S3
virtual-host buckets, `bucket.localhost`), `s3.localhost` and `*.s3.localhost` (a wildcard matches
one label only, so `bucket.s3.localhost` needs its own), the loopback addresses, the host the server
listens on, and the extra names asked for (`--tls-names`). A certificate already there is kept when
it covers exactly those names, and generated anew when it does not (a new `--tls-names`).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOCAL_NAMES = ("localhost", "*.localhost", "s3.localhost", "*.s3.localhost", "127.0.0.1", "::1")
# addresses a server listens on that no client connects to by that name
_ANY_ADDRESS = {"0.0.0.0", "::", ""}


def certificate_names(host: str, extra: Iterable[str] = ()) -> list[x509.GeneralName]:
    """The subject alternative names for a server on `host`, in a stable order without repeats."""
    names: list[x509.GeneralName] = []
    for name in (*LOCAL_NAMES, host, *extra):
        name = name.strip()
        if name in _ANY_ADDRESS:
            continue
        general: x509.GeneralName
        try:
            general = x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
        except ValueError:
            general = x509.DNSName(name.lower())
        if general not in names:
            names.append(general)
    return names


def covered_names(cert_path: Path) -> set[x509.GeneralName] | None:
    """The names a certificate file covers (None: unreadable, or no SAN extension)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None


def self_signed(data_dir: Path, host: str, extra_names: Iterable[str] = ()) -> tuple[Path, Path]:
    """(certificate, key) paths under data_dir/tls, created when missing or covering other names."""
    folder = data_dir / "tls"
    cert_path, key_path = folder / "headwater.crt", folder / "headwater.key"
    names = certificate_names(host, extra_names)
    if key_path.exists() and covered_names(cert_path) == set(names):
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "headwater.local")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
