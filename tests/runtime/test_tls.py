"""The generated certificate covers the local names (S3 virtual hosts too) and `--tls-names`, and is
generated anew when it is asked to cover other names."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509

from headwater.runtime.tls import self_signed


def _names(cert: Path) -> tuple[list[str], list[object]]:
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    san = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)


def test_local_and_extra_names(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "0.0.0.0", ["headwater.internal", "10.1.2.3"])
    dns, ips = _names(cert)
    for name in ("localhost", "*.localhost", "s3.localhost", "*.s3.localhost", "headwater.internal"):
        assert name in dns
    assert {ipaddress.ip_address(a) for a in ("127.0.0.1", "::1", "10.1.2.3")} <= set(ips)
    assert ipaddress.ip_address("0.0.0.0") not in ips  # no client connects to that


def test_kept_for_the_same_names_and_renewed_for_others(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path, "127.0.0.1")
    first = cert.read_bytes()
    assert self_signed(tmp_path, "127.0.0.1")[0].read_bytes() == first
    self_signed(tmp_path, "127.0.0.1", ["box.lan"])
    assert cert.read_bytes() != first
    assert "box.lan" in _names(cert)[0]
