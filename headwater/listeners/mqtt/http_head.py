"""HTTP/1.1 request heads and small JSON answers, for the few requests the device gateway serves
itself (everything else goes to the HTTP listener as bytes)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEAD = 16 * 1024


@dataclass(frozen=True, slots=True)
class Head:
    method: str
    target: str  # as sent: path and query
    headers: list[tuple[str, str]]  # names lower-cased, in order
    size: int  # bytes of the head, blank line included

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


def parse_head(data: bytes) -> Head | None:
    """The request head at the start of `data` (None: not complete yet); ValueError when malformed."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > MAX_HEAD:
            raise ValueError("request head too large")
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x request line")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ValueError("bad header line")
        headers.append((name.lower(), value.strip()))
    return Head(parts[0], parts[1], headers, end + 4)


REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
           415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error"}  # fmt: skip


def response(
    status: int, body: bytes, headers: list[tuple[str, str]] | None = None, close: bool = False
) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
