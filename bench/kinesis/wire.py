"""Raw Kinesis over HTTP for the load generator: persistent `http.client` connections, record layout.

Every data-plane request goes through `RawKinesis`: one connection per thread, kept open for a whole
phase, headers signed once per operation (bench.common.wire.sign). It stays on `http.client` rather than
the shared raw socket: the drain reads ~14 MB answers, and these are the numbers RESULTS.md has compared
against since the first run.

A record's payload is 1 KiB: the 24-byte id header, then random filler; its base64 form starts with the
header's 32 characters, so an id can be patched in or decoded alone.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket

from bench.common.wire import HEADER_SIZE, sign

TARGET_PREFIX = "Kinesis_20131202."
CONTENT_TYPE = "application/x-amz-json-1.1"
RECORD_SIZE = 1024


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
            wanted = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation}
            url = f"http://{self.host}:{self.port}/"
            headers = self._headers[operation] = sign("kinesis", "POST", url, wanted, body)
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


def filler(size: int = RECORD_SIZE - HEADER_SIZE) -> bytes:
    """Incompressible bytes, so no server gets a free ride from compression."""
    return os.urandom(size)


def record_data_b64(header: bytes, tail: bytes) -> str:
    return base64.b64encode(header + tail).decode("ascii")
