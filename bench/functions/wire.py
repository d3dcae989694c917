"""The lean Invoke client: one persistent HTTP/1.1 connection, headers SigV4-signed once per function.

A synchronous Invoke is ``POST /2015-03-31/functions/<name>/invocations`` with the payload as the raw
body (what boto3 sends, without its per-call signing, retries and parsing). The payload carries the
24-byte id header (bench.common.wire) so each answer can be matched to its request: the trivial handler
returns it unchanged.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from bench.common.servers import HOST
from bench.common.wire import RawConnection, encode_header, head_lines, sign

PATH = "/2015-03-31/functions/{}/invocations"


def payload(client: int, seq: int) -> bytes:
    """A small JSON event whose `id` is the request's id header."""
    return b'{"id":"%s","n":%d}' % (encode_header(client, seq), seq)


def echoed(answer: bytes) -> str:
    """The id the trivial handler sent back ("" when it is not there)."""
    try:
        value = json.loads(answer).get("id", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


class InvokeClient:
    """Synchronous invokes of one function on one connection (one per thread)."""

    def __init__(self, port: int, function: str, host: str = HOST) -> None:
        self.target = PATH.format(quote(function, safe=""))
        url = f"http://{host}:{port}{self.target}"
        signed = sign("lambda", "POST", url, {"X-Amz-Invocation-Type": "RequestResponse"}, b"{}")
        self.head = head_lines(host, port, signed)
        self.conn = RawConnection(host, port, timeout=60)

    def invoke(self, body: bytes) -> tuple[int, bytes, bytes]:
        """(status, answer head lower-cased, payload)."""
        answer = self.conn.send("POST", self.target, self.head, [body])
        return answer.status, answer.head, answer.body

    def close(self) -> None:
        self.conn.close()
