"""The JSON documents S3 sends to a notification destination: event records and the test event.

The shape is AWS's "event message structure": one record per event in ``{"Records": [...]}``,
serialised compactly as S3 does. Removal events name the key, version and sequencer only (no size or
ETag). The object key is form-URL-encoded ("red flower.jpg" -> "red+flower.jpg") except for "/",
which S3 leaves as it is.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from urllib.parse import quote_plus

from headwater.runtime.ids import random_bytes
from headwater.services.context import RequestContext
from headwater.services.s3.records import NULL_VERSION, Bucket, ObjectVersion

# S3 uses 2.1 for most events and 2.3 (2.1 plus a few fields) for lifecycle, tagging and ACL events
EVENT_VERSION = "2.1"
LATER_EVENT_VERSION = "2.3"
_LATER_FAMILIES = ("LifecycleExpiration", "LifecycleTransition", "ObjectTagging", "ObjectAcl")
# who "caused" an event S3 raised by itself (lifecycle expiration)
SERVICE_PRINCIPAL = "s3.amazonaws.com"
# what a request context cannot tell: the client's address
UNKNOWN_SOURCE_IP = "127.0.0.1"


def iso_ms(epoch_ms: int) -> str:
    """1970-01-01T00:00:00.000Z: the millisecond ISO 8601 form of every S3 event time."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def encode_key(key: str) -> str:
    """The key as S3 writes it in events: form-encoded (space -> "+") with "/" kept, and "*" kept
    and "~" escaped as a Java URL encoder does."""
    return quote_plus(key, safe="/*").replace("~", "%7E")


def host_id() -> str:
    return base64.b64encode(random_bytes(48)).decode()


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def is_removal(event: str) -> bool:
    return event.startswith(("ObjectRemoved", "LifecycleExpiration"))


def event_record(
    bucket: Bucket,
    event: str,
    version: ObjectVersion,
    ctx: RequestContext | None,
    *,
    configuration_id: str,
    sequencer: str,
    now_ms: int,
) -> dict[str, Any]:
    """One element of ``Records``: `event` is the name without "s3:" ("ObjectCreated:Put")."""
    obj: dict[str, Any] = {"key": encode_key(version.key)}
    if not is_removal(event):
        obj["size"] = version.size
        obj["eTag"] = version.etag.strip('"')
    if version.version_id != NULL_VERSION:
        obj["versionId"] = version.version_id
    obj["sequencer"] = sequencer
    family = event.split(":", 1)[0]
    return {
        "eventVersion": LATER_EVENT_VERSION if family in _LATER_FAMILIES else EVENT_VERSION,
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": iso_ms(now_ms),
        "eventName": event,
        "userIdentity": {"principalId": ctx.account if ctx is not None else SERVICE_PRINCIPAL},
        "requestParameters": {"sourceIPAddress": UNKNOWN_SOURCE_IP if ctx is not None else SERVICE_PRINCIPAL},
        "responseElements": {
            "x-amz-request-id": ctx.request_id if ctx is not None else _request_id(),
            "x-amz-id-2": host_id(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": bucket.account},
                "arn": f"arn:{partition(bucket.region)}:s3:::{bucket.name}",
            },
            "object": obj,
        },
    }


def message(records: list[dict[str, Any]]) -> str:
    return json.dumps({"Records": records}, separators=(",", ":"), ensure_ascii=False)


def s3_test_event(bucket: str, now_ms: int, request_id: str | None = None) -> str:
    """What S3 sends each destination when a notification configuration is put."""
    body = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": iso_ms(now_ms),
        "Bucket": bucket,
        "RequestId": request_id or _request_id(),
        "HostId": host_id(),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _request_id() -> str:
    return random_bytes(8).hex().upper()
