"""Server-side encryption of a delivery stream's records at rest in its raw log.

Theory of operation
-------------------
While a DirectPut stream's encryption is ENABLING or ENABLED, each log entry (one PutRecord or
PutRecordBatch call) is sealed whole with the key ring under the stream's key: the customer
managed key it names, else Firehose's own key (`aws-owned/firehose`: AWS_OWNED_CMK, a key the account
never sees, as SSE-SQS's). The associated data is the log partition, so an entry
moved to another stream does not open. A sealed entry starts with four 0xFF bytes, which a plain
entry never does (it starts with its record count, at most 500), so a log that holds entries from
before and after Start/StopDeliveryStreamEncryption is read entry by entry.

Delivery opens entries with `recover` (whatever the key's state): an acknowledged record is
delivered even if its key was disabled since, as records already accepted are on AWS.
"""

from __future__ import annotations

from headwater.services.firehose.state import DeliveryStream
from headwater.services.ports import KeyRing

MARK = b"\xff\xff\xff\xff"
AWS_OWNED_KEY = "aws-owned/firehose"
SEALING = ("ENABLING", "ENABLED")


def key_ref(encryption: dict[str, object] | None) -> str | None:
    """The key that seals new entries, or None when they are stored in clear."""
    if not encryption or encryption.get("Status") not in SEALING:
        return None
    arn = encryption.get("KeyARN")
    return arn if isinstance(arn, str) and arn else AWS_OWNED_KEY


def seal(ring: KeyRing | None, stream: DeliveryStream, payload: bytes) -> bytes:
    """The entry as stored: sealed when the stream's encryption is on (raises KeyRingError)."""
    ref = key_ref(stream.encryption)
    if ref is None or ring is None:
        return payload
    return MARK + ring.seal(stream.account, stream.region, ref, payload, stream.partition.encode())


def unseal(ring: KeyRing | None, partition: str, payload: bytes) -> bytes:
    """An entry's plain payload (the same bytes when it was stored in clear)."""
    if not payload.startswith(MARK) or ring is None:
        return payload
    return ring.recover(payload[len(MARK) :], partition.encode())
