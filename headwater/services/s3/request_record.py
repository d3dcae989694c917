"""What the S3 front end tells the core about each request once it is answered (server access
logging reads it; see access_log.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestRecord:
    bucket: str
    key: str | None
    operation: str
    method: str
    request_uri: str  # "GET /bucket/key?query HTTP/1.1"
    status: int
    error_code: str | None
    bytes_sent: int
    total_ms: int
    request_id: str
    host_id: str
    account: str | None  # None: anonymous
    remote_ip: str
    user_agent: str
    referrer: str
    version_id: str | None
    host: str
    tls: bool
    signature_version: str | None  # "SigV4", "SigV2" or None when unsigned
    auth_type: str | None  # "AuthHeader", "QueryString" or None
    time_ms: int  # when the request arrived, on the core's clock
