"""Server access logging: each request to a bucket with logging enabled becomes a line of S3's
access log record format, delivered as log objects to the target bucket.

Theory of operation
-------------------
The S3 front end hands each answered request to the core's observers (`S3Core.observe`) that
want its bucket: this stage wants those with logging enabled, so other requests pay one lookup.
A request to such a bucket is formatted at once (the bucket's configuration as it is then) and
buffered per (target bucket, key prefix). The stage wakes about every second on the server clock
and writes a buffer as one log object once its oldest line is FLUSH_MS old (S3 delivers within
hours, "best effort"; a test clock's advance delivers at once). Keys follow S3's default simple
format, `<TargetPrefix>YYYY-mm-DD-HH-MM-SS-<16 hex digits>`. Lines still buffered when the server
stops are lost, as S3 itself allows.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote

from headwater.services.s3.bucket_rules import canonical_id
from headwater.services.s3.object_sink import write_object
from headwater.services.s3.request_record import RequestRecord
from headwater.services.s3.service import S3Core

log = logging.getLogger("headwater.s3.access_log")
FLUSH_MS = 60_000  # a log object gathers a minute of requests at most

# the resource part of S3's operation names (REST.<METHOD>.<RESOURCE>) by sub-resource
_SUBRESOURCES = {
    "acl": "ACL",
    "tagging": "TAGGING",
    "versioning": "VERSIONING",
    "logging": "LOGGING_STATUS",
    "policy": "BUCKETPOLICY",
    "lifecycle": "LIFECYCLE",
    "cors": "CORS",
    "encryption": "ENCRYPTION",
    "notification": "NOTIFICATION",
    "inventory": "INVENTORY",
    "location": "LOCATION",
    "versions": "BUCKETVERSIONS",
    "uploads": "UPLOADS",
    "uploadId": "UPLOAD",
    "website": "WEBSITE",
    "ownershipControls": "OWNERSHIP_CONTROLS",
    "publicAccessBlock": "PUBLIC_ACCESS_BLOCK",
    "object-lock": "OBJECT_LOCK_CONFIGURATION",
    "attributes": "OBJECT_ATTRIBUTES",
    "delete": "MULTI_OBJECT_DELETE",
}


def operation_name(record: RequestRecord) -> str:
    """S3's name for the request in a log line: REST.GET.OBJECT, REST.PUT.ACL, REST.COPY.OBJECT..."""
    if record.operation in ("CopyObject", "UploadPartCopy"):
        return "REST.COPY.OBJECT" if record.operation == "CopyObject" else "REST.COPY.PART"
    if record.operation == "UploadPart":
        return "REST.PUT.PART"
    query = record.request_uri.split(" ")[1].partition("?")[2]
    names = [part.partition("=")[0] for part in query.split("&") if part]
    resource = next((_SUBRESOURCES[name] for name in names if name in _SUBRESOURCES), None)
    if resource is None:
        resource = "OBJECT" if record.key else "BUCKET"
    return f"REST.{record.method}.{resource}"


def format_line(bucket_owner: str, record: RequestRecord) -> str:
    """One record of S3's server access log format (fields separated by spaces, "-" for none)."""

    def text(value: str | int | None) -> str:
        return "-" if value is None or value == "" else str(value)

    def quoted(value: str) -> str:
        return '"' + (value or "-").replace('"', '\\"') + '"'

    stamp = dt.datetime.fromtimestamp(record.time_ms / 1000, dt.UTC).strftime("[%d/%b/%Y:%H:%M:%S +0000]")
    requester = f"arn:aws:iam::{record.account}:root" if record.account else None
    fields = [
        canonical_id(bucket_owner),
        record.bucket,
        stamp,
        text(record.remote_ip),
        text(requester),
        record.request_id,
        operation_name(record),
        text(quote(record.key, safe="/") if record.key else None),
        quoted(record.request_uri),
        str(record.status),
        text(record.error_code),
        text(record.bytes_sent),
        "-",  # object size: what a GET served is already in bytes sent
        str(record.total_ms),
        "-",  # turn-around time
        quoted(record.referrer),
        quoted(record.user_agent),
        text(record.version_id),
        record.host_id,
        text(record.signature_version),
        "ECDHE-RSA-AES128-GCM-SHA256" if record.tls else "-",
        text(record.auth_type),
        text(record.host),
        "TLSv1.2" if record.tls else "-",
        "-",  # access point ARN
        "-",  # aclRequired
    ]
    return " ".join(fields)


@dataclass(slots=True)
class _Buffer:
    first_ms: int
    lines: list[str] = field(default_factory=list)


class AccessLogs:
    """The stage that formats, buffers and delivers access log records (see the module doc)."""

    def __init__(self, core: S3Core) -> None:
        self.core = core
        self._buffers: dict[tuple[str, str], _Buffer] = {}

    async def start(self) -> None:
        if self not in self.core.request_observers:
            self.core.request_observers.append(self)
        self.core.spawn(self._run())

    async def close(self) -> None:
        if self in self.core.request_observers:
            self.core.request_observers.remove(self)

    def wants(self, bucket: str) -> bool:
        found = self.core.store.bucket(bucket)
        return found is not None and bool(found.configs.get("logging"))

    async def reset(self) -> None:
        self._buffers.clear()
        await self.start()

    def observe(self, record: RequestRecord) -> None:
        bucket = self.core.store.bucket(record.bucket)
        enabled = bucket.configs.get("logging") if bucket is not None else None
        if bucket is None or not enabled:
            return
        slot = (str(enabled["TargetBucket"]), str(enabled.get("TargetPrefix") or ""))
        buffer = self._buffers.setdefault(slot, _Buffer(self.core.now_ms()))
        buffer.lines.append(format_line(bucket.account, record))

    async def _run(self) -> None:
        while not self.core.closing:
            try:
                await self.flush(self.core.now_ms() - FLUSH_MS)
            except Exception:  # a broken target must not stop the other buckets' logs
                log.exception("access log delivery failed")
            await self.core.clock.sleep(1.0)

    async def flush(self, older_than_ms: int) -> None:
        """Writes every buffer whose first line is at least as old as `older_than_ms`."""
        for slot, buffer in list(self._buffers.items()):
            if buffer.first_ms > older_than_ms:
                continue
            del self._buffers[slot]
            target, prefix = slot
            stamp = dt.datetime.fromtimestamp(self.core.now_ms() / 1000, dt.UTC).strftime("%Y-%m-%d-%H-%M-%S")
            key = f"{prefix}{stamp}-{secrets.token_hex(8).upper()}"
            data = ("\n".join(buffer.lines) + "\n").encode()
            await write_object(self.core, target, key, data, "text/plain")
