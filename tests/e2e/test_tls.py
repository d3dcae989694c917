"""`--tls on`: a self-signed certificate in the data dir, HTTPS for boto3, ALPN h2 for HTTP/2 clients,
TLS 1.2 as the floor."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import stat

import httpx
import pytest
from cryptography import x509

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, TlsServer, server_fixture
from tests.e2e.support.wire import signed_headers

tls_server = server_fixture(
    "tls", "--durability memory --limits off --transition-delay 0 --tls on", kind=TlsServer
)


def kinesis_over_https(server: Server, verify: bool | str):  # noqa: ANN201
    return client_for(server.endpoint, verify=verify)


def handshake(server: Server, **options: object) -> ssl.SSLSocket:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    for name, value in options.items():
        if name == "alpn":
            context.set_alpn_protocols(value)  # type: ignore[arg-type]
        elif name == "ciphers":
            context.set_ciphers(value)  # type: ignore[arg-type]
        else:
            setattr(context, name, value)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        return context.wrap_socket(sock)
    except BaseException:
        sock.close()
        raise


def test_self_signed_certificate_is_generated(tls_server: Server) -> None:
    folder = tls_server.data_dir / "tls"
    certificate = x509.load_pem_x509_certificate((folder / "headwater.crt").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert stat.S_IMODE((folder / "headwater.key").stat().st_mode) == 0o600


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_boto3_over_https(tls_server: Server) -> None:
    kinesis = kinesis_over_https(tls_server, verify=False)
    kinesis.create_stream(StreamName="tls", ShardCount=1)
    put = kinesis.put_record(StreamName="tls", Data=b"secret", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamName="tls", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [b"secret"]
    # Trusting the generated certificate (AWS_CA_BUNDLE / --ca-bundle) verifies it properly.
    trusting = kinesis_over_https(tls_server, verify=str(tls_server.data_dir / "tls" / "headwater.crt"))
    assert "tls" in trusting.list_streams()["StreamNames"]


def test_alpn_negotiates_h2_and_http11(tls_server: Server) -> None:
    with handshake(tls_server, alpn=["h2", "http/1.1"]) as sock:
        assert sock.selected_alpn_protocol() == "h2"
    with handshake(tls_server, alpn=["http/1.1"]) as sock:  # what urllib3 (so boto3) offers
        assert sock.selected_alpn_protocol() == "http/1.1"
    body = json.dumps({"StreamName": "h2"}).encode()
    endpoint = tls_server.endpoint
    with httpx.Client(http2=True, verify=False, timeout=10) as client:
        response = client.post(
            endpoint, content=body, headers=signed_headers(endpoint, "DescribeStreamSummary", body)
        )
    assert response.http_version == "HTTP/2"
    assert response.status_code == 400
    assert response.json()["__type"] == "ResourceNotFoundException"
    with httpx.Client(verify=False, timeout=10) as client:
        assert client.get(f"{endpoint}/_headwater/health").http_version == "HTTP/1.1"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ssl.TLSVersion.TLSv1_1 is, rightly, deprecated
def test_tls_12_is_the_floor(tls_server: Server) -> None:
    with handshake(tls_server, maximum_version=ssl.TLSVersion.TLSv1_2) as sock:
        assert sock.version() == "TLSv1.2"
        sock.sendall(b"GET /_headwater/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    # Let the client offer TLS 1.1 (lowering its own security level), so that the refusal is the server's.
    with pytest.raises(ssl.SSLError, match="ALERT"):
        handshake(
            tls_server,
            minimum_version=ssl.TLSVersion.TLSv1,
            maximum_version=ssl.TLSVersion.TLSv1_1,
            ciphers="DEFAULT:@SECLEVEL=0",
        ).close()


def test_cleartext_is_not_served_on_the_tls_port(tls_server: Server) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{tls_server.port}/_headwater/health", timeout=5)


def test_certificate_names_health_and_trust(tls_server: Server) -> None:
    certificate = tls_server.data_dir / "tls" / "headwater.crt"
    loaded = x509.load_pem_x509_certificate(certificate.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"s3.localhost", "*.s3.localhost", "*.localhost"} <= set(names.get_values_for_type(x509.DNSName))
    health = tls_server.admin("GET", "health")
    assert health["tls"] == {"enabled": True, "certificate": str(certificate.resolve())}
    banner = tls_server.output()
    assert f"tls         on, certificate {certificate.resolve()}" in banner
    assert f"trust it with AWS_CA_BUNDLE={certificate.resolve()}" in banner
    # what the banner says works: the certificate, trusted as a CA bundle, verifies the server
    kinesis = kinesis_over_https(tls_server, verify=str(certificate))
    assert kinesis.list_streams()["ResponseMetadata"]["HTTPStatusCode"] == 200
