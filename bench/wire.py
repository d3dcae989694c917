"""Raw Kinesis-over-HTTP for the load generator: signed-once headers, persistent connections, record layout.

Every data-plane request goes through `RawKinesis`: one `http.client` connection per thread, kept open for a
whole phase. Headers are signed once per operation with botocore's SigV4 (valid for 15 minutes) and reused;
the bodies change afterwards (unique record ids are patched in), so the payload hash inside the signature no
longer matches. That is fine for servers that do not verify signatures (every server benchmarked here, in the
mode it runs in) and keeps signing off the hot path.

A record's payload is 1 KiB: a 24-byte ASCII header, then random filler. The header is 3-byte aligned, so its
base64 form is exactly the first 32 characters of the record's `Data` and can be patched or decoded alone.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET_PREFIX = "Kinesis_20131202."
CONTENT_TYPE = "application/x-amz-json-1.1"
ACCESS_KEY = "AKIDHEADWATERBENCH"
SECRET_KEY = "headwater-bench-secret"
REGION = "us-east-1"

RECORD_SIZE = 1024
HEADER_SIZE = 24  # multiple of 3: its base64 is exactly HEADER_B64 characters
HEADER_B64 = HEADER_SIZE // 3 * 4


def signed_headers(host: str, port: int, operation: str, body: bytes) -> dict[str, str]:
    """SigV4 headers for one operation, computed once and reused for every later body."""
    request = AWSRequest(
        method="POST",
        url=f"http://{host}:{port}/",
        data=body,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "content-length"}


class RawKinesis:
    """One persistent HTTP/1.1 connection to a Kinesis endpoint (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._headers: dict[str, dict[str, str]] = {}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.connect()
            # Small requests (latency phases) must not wait on Nagle + delayed ACK.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def call(self, operation: str, body: bytes) -> tuple[int, bytes]:
        """POST one request; returns (status, body). Transport errors raise OSError (connection closed)."""
        headers = self._headers.get(operation)
        if headers is None:
            headers = self._headers[operation] = signed_headers(self.host, self.port, operation, body)
        conn = self._connection()
        try:
            conn.request("POST", "/", body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except OSError:
            self.close()
            raise
        except http.client.HTTPException as exc:  # e.g. IncompleteRead: callers handle one error type
            self.close()
            raise ConnectionError(repr(exc)) from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass(frozen=True, slots=True)
class RecordId:
    producer: int
    seq: int


def encode_header(producer: int, seq: int) -> bytes:
    """24 ASCII bytes: producer (4 digits), sequence (12 digits), 8 spare bytes."""
    return b"%04d%012d--------" % (producer, seq)


def decode_header(header: bytes) -> RecordId:
    return RecordId(int(header[0:4]), int(header[4:16]))


def filler(size: int = RECORD_SIZE - HEADER_SIZE) -> bytes:
    """Incompressible bytes, so no server gets a free ride from compression."""
    return os.urandom(size)


def record_data_b64(header: bytes, tail: bytes) -> str:
    return base64.b64encode(header + tail).decode("ascii")
