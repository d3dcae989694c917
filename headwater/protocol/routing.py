"""Which service, operation and wire protocol a request is for, decided per request.

Two families of signals:

* JSON and CBOR: the ``X-Amz-Target`` prefix names the service (``Kinesis_20131202``, ``AmazonSQS``),
  Content-Type picks JSON or CBOR.
* AWS Query (SQS's legacy dialect): form fields ``Action=<Op>&Version=...`` in a form-encoded POST
  body or a query string, sent to ``/`` or to a queue URL path ``/<12-digit account>/<queue name>``.
  The service is the one the SigV4 credential scope names; unsigned requests go to the
  Query-speaking service that has the Action.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from headwater.protocol import cbor_codec

# /<account>/<queue name>[/]: a queue URL's path (AWS's own examples end some with a slash)
_QUEUE_PATH = re.compile(r"/(\d{12})/([A-Za-z0-9_.-]{1,80})/?")


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: str
    protocol: str  # "json" | "cbor" | "query"


def protocol_of(headers: dict[str, str]) -> str:
    """The wire protocol of a body: "cbor" for the Java SDKs' CBOR, else "json" (errors follow it)."""
    return "cbor" if headers.get("content-type", "").startswith(cbor_codec.CONTENT_TYPE) else "json"


def route(headers: dict[str, str], prefixes: Mapping[str, str]) -> Route | None:
    """The route of a target-based (JSON/CBOR) request, or None when there is no usable target.
    `prefixes` maps each X-Amz-Target prefix (a model's `targetPrefix`) to its service."""
    target = headers.get("x-amz-target")
    if not target:
        return None
    prefix, _, operation = target.partition(".")
    service = prefixes.get(prefix)
    if service is None:
        return None
    return Route(service, operation, protocol_of(headers))


def query_service(
    action: str | None, signed_service: str | None, actions: Mapping[str, Collection[str]]
) -> str | None:
    """The Query-speaking service a request is for: the one its signature names, else the first whose
    model has `action`. `actions` maps each Query-speaking service to its operation names."""
    if signed_service in actions:
        return signed_service
    if action:
        for service, names in actions.items():
            if action in names:
                return service
    return None


def queue_path(path: str) -> str | None:
    """``/<account>/<name>`` when `path` is a queue URL's path (trailing slash dropped), else None."""
    match = _QUEUE_PATH.fullmatch(path)
    return f"/{match.group(1)}/{match.group(2)}" if match else None
