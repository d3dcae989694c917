"""DescribeEndpoint and the names the device gateway's certificate covers.

AWS answers `<prefix>-ats.iot.<region>.amazonaws.com`; here the names live under `.localhost`
(`<prefix>-ats.iot.<region>.localhost`), which resolves to the loopback address where the resolver
knows the `.localhost` rule (RFC 6761; glibc with nss-myhostname, macOS). Where it does not, a name
no client can resolve is worse than a plain one, so DescribeEndpoint answers "localhost" (checked
once, with getaddrinfo, at start). The server certificate covers both forms, for every region.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from functools import cache
from typing import Any

from headwater.services.iot.security import errors

DEFAULT_TYPE = "iot:Data"
# endpoint type -> how the name is made from the account's prefix and the region
_FORMATS = {
    "iot:Data-ATS": "{prefix}-ats.iot.{region}.localhost",
    "iot:Data": "{prefix}.iot.{region}.localhost",
    "iot:CredentialProvider": "{prefix}.credentials.iot.{region}.localhost",
    "iot:Jobs": "{prefix}.jobs.iot.{region}.localhost",
}
_EXTRA_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # in case botocore lists none


def prefix(account: str) -> str:
    """The account's stable endpoint prefix: 14 lower-case letters and digits, as AWS's are."""
    digest = hashlib.sha256(f"headwater-iot:{account}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:14]


@cache
def regions() -> tuple[str, ...]:
    """Every region botocore knows IoT in (all partitions)."""
    import botocore.session

    session = botocore.session.get_session()
    found: set[str] = set(_EXTRA_REGIONS)
    for partition in session.get_available_partitions():
        found.update(session.get_available_regions("iot", partition_name=partition))
    return tuple(sorted(found))


def server_names(extra: tuple[str, ...] = ()) -> list[str]:
    """What the device gateway's certificate covers: the loopback names and addresses, every
    endpoint form in every region, and the `--tls-names` extras."""
    names = ["localhost", "*.localhost", "127.0.0.1", "::1"]
    for region in regions():
        names += [f"*.iot.{region}.localhost", f"*.credentials.iot.{region}.localhost"]
        names += [f"*.jobs.iot.{region}.localhost"]
    return names + [name.strip() for name in extra if name.strip()]


def localhost_subdomains_resolve() -> bool:
    """Whether `<x>.localhost` names resolve on this machine (blocking: call it off the loop)."""
    try:
        return bool(socket.getaddrinfo("probe.iot.us-east-1.localhost", None))
    except (OSError, UnicodeError):
        return False


def address(kind: str, account: str, region: str, subdomains: bool) -> str:
    fmt = _FORMATS.get(kind)
    if fmt is None:
        raise errors.invalid(f"Endpoint type {kind} is not valid.")
    return fmt.format(prefix=prefix(account), region=region) if subdomains else "localhost"


def describe(params: dict[str, Any], account: str, region: str, subdomains: bool) -> dict[str, Any]:
    kind = params.get("endpointType") or DEFAULT_TYPE
    return {"endpointAddress": address(kind, account, region, subdomains)}
