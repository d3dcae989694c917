"""Raw S3 over HTTP for the S3 benchmark: REST on the shared raw socket, bodies from prebuilt buffers.

`RawS3` is `bench.common.wire.RawConnection` with headers signed once per HTTP method
(`X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`, so no body is ever hashed) and reused for every path and query.
A boto3 `put_object` costs ~1 ms of client CPU, several times this. Bodies go out as a list of buffers (an
object's 24-byte id header, then a tail shared by every object of a phase) without concatenating them; a
large GET is read straight into caller-owned buffers, so a 64 MiB body is neither copied nor allocated per
request, and checking it is one `memcmp` (`bytes == bytes`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bench.common.wire import Answer, Buffer, RawConnection, head_lines, sign

_CODE = re.compile(rb"<Code>([^<]*)</Code>")


class RawS3(RawConnection):
    """One persistent HTTP/1.1 connection to an S3 endpoint (one per thread: not thread-safe)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        super().__init__(host, port, timeout)
        self._heads: dict[str, bytes] = {}

    def request(
        self, method: str, target: str, body: Sequence[Buffer] = (), into: Sequence[bytearray] = ()
    ) -> Answer:
        """One request; `target` is the path and query, already URL-encoded (see `RawConnection.send`)."""
        head = self._heads.get(method)
        if head is None:
            url = f"http://{self.host}:{self.port}/bench"
            signed = sign("s3", method, url, {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
            head = self._heads[method] = head_lines(self.host, self.port, signed)
        return self.send(method, target, head, body, into)


def describe(answer: Answer) -> str:
    """A short reason for an unexpected answer: the status and the S3 error code if there is one."""
    code = _CODE.search(answer.body) if answer.body else None
    return f"HTTP {answer.status}" + (f" {code.group(1).decode()}" if code else "")
