"""Which service, operation and wire protocol a request is for, decided per request.

Signals, in order: the `X-Amz-Target` prefix (JSON and CBOR services), then the signing name in the
SigV4 credential scope. Content-Type picks JSON or CBOR for target-based protocols.
"""

from __future__ import annotations

from dataclasses import dataclass

# X-Amz-Target prefix -> service name (botocore model name)
TARGET_PREFIXES: dict[str, str] = {
    "Kinesis_20131202": "kinesis",
}

CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: str
    protocol: str  # "json" | "cbor"


def route(headers: dict[str, str]) -> Route | None:
    """The route of a target-based (JSON/CBOR) request, or None when there is no usable target."""
    target = headers.get("x-amz-target")
    if not target:
        return None
    prefix, _, operation = target.partition(".")
    service = TARGET_PREFIXES.get(prefix)
    if service is None:
        return None
    content_type = headers.get("content-type", "")
    protocol = "cbor" if content_type.startswith(CBOR_CONTENT_TYPE) else "json"
    return Route(service, operation, protocol)
