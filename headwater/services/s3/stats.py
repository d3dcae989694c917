"""Per-bucket storage counters (the storage gauges), kept as durable counters.

A bucket's counters (keys, object versions, bytes per storage class; delete markers count as keys
only) are one small record written in the same atomic write as every version list that changes
them, so after a crash they still match the records. A metrics scrape reads them: it never walks
a bucket.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from headwater.services.s3.records import ObjectVersion


@dataclass(slots=True)
class BucketStats:
    keys: int = 0
    objects: int = 0
    sizes: dict[str, int] = field(default_factory=dict)  # storage class -> bytes

    def apply(self, old: Sequence[ObjectVersion], new: Sequence[ObjectVersion]) -> None:
        """Counts a key's version list changing from `old` to `new`."""
        self.keys += bool(new) - bool(old)
        for sign, versions in ((-1, old), (1, new)):
            for version in versions:
                if version.delete_marker:
                    continue
                self.objects += sign
                self.sizes[version.storage_class] = (
                    self.sizes.get(version.storage_class, 0) + sign * version.size
                )
        for storage in [name for name, size in self.sizes.items() if size == 0]:
            del self.sizes[storage]

    def to_bytes(self) -> bytes:
        # Every write of a version list writes this too: JSON by hand, json.dumps only for a name
        # that would need escaping (storage classes are AWS's upper-case identifiers).
        sizes = ",".join(
            f'"{name}":{size}' if name.isidentifier() else f"{json.dumps(name)}:{size}"
            for name, size in self.sizes.items()
        )
        return f'{{"keys":{self.keys},"objects":{self.objects},"bytes":{{{sizes}}}}}'.encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> BucketStats:
        data = json.loads(raw)
        return cls(int(data["keys"]), int(data["objects"]), {k: int(v) for k, v in data["bytes"].items()})
