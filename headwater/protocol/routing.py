"""Which service, operation and wire protocol a request is for, decided per request.

Today the `X-Amz-Target` prefix names the service (JSON and CBOR services); Content-Type picks JSON or
CBOR. Query, REST and RPCv2 services add their signals (Action=, paths, the SigV4 signing name) here.
"""

from __future__ import annotations

from dataclasses import dataclass

from headwater.protocol import cbor_codec

# X-Amz-Target prefix -> service name (botocore model name)
TARGET_PREFIXES: dict[str, str] = {
    "Kinesis_20131202": "kinesis",
}


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: str
    protocol: str  # "json" | "cbor"


def protocol_of(headers: dict[str, str]) -> str:
    """The wire protocol of a body: "cbor" for the Java SDKs' CBOR, else "json" (errors follow it)."""
    return "cbor" if headers.get("content-type", "").startswith(cbor_codec.CONTENT_TYPE) else "json"


def route(headers: dict[str, str]) -> Route | None:
    """The route of a target-based (JSON/CBOR) request, or None when there is no usable target."""
    target = headers.get("x-amz-target")
    if not target:
        return None
    prefix, _, operation = target.partition(".")
    service = TARGET_PREFIXES.get(prefix)
    if service is None:
        return None
    return Route(service, operation, protocol_of(headers))
