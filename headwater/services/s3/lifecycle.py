"""Lifecycle expiration, applied in the background.

Theory of operation
-------------------
Every lifecycle deadline is a midnight UTC (see lifecycle_rules), so what a bucket's rules do can
only change when the core's clock passes a midnight or when the configuration changes. The loop
wakes about every second (on the core's clock: a test clock's advance wakes it at once) and sweeps
a bucket only when the UTC day or its configuration differs from its last sweep; S3 itself
applies rules asynchronously, about once a day.

A sweep walks the bucket's keys in slices of a few thousand. Each key is a read-modify-write of
its version list with no await in between (the store's rule), so a concurrent PUT is never lost:
the sweep reads the list as it is at that instant. The durable writes of a slice are awaited
together, blobs released only once the write that dropped them is durable, then the next slice
starts after the last key seen (keys added or removed meanwhile are fine).

What expires:
- Expiration (Days/Date) of a current version: on an unversioned bucket the object is deleted; on
  a versioned one a delete marker becomes current (on a suspended one it has the null version id
  and replaces the null version). A delete marker left alone (no other version) is removed once it
  is as old as the rule says, or at once with ExpiredObjectDeleteMarker.
- NoncurrentVersionExpiration: a version NoncurrentDays after the next one was written, keeping
  the NewerNoncurrentVersions newest noncurrent versions; a version under Object Lock stays.
- AbortIncompleteMultipartUpload: uploads DaysAfterInitiation after they began, parts released.
Each deletion is announced as LifecycleExpiration:Delete, each marker as
LifecycleExpiration:DeleteMarkerCreated, when the notifier offers `emit`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from itertools import islice
from typing import Any

from headwater.services.s3.lifecycle_rules import (
    DAY_MS,
    Rule,
    after_days,
    applies_to,
    enabled_rules,
    expiry_due,
    rule_prefix,
    rule_tags,
)
from headwater.services.s3.object_lock import is_locked
from headwater.services.s3.records import NULL_VERSION, Bucket, ObjectVersion
from headwater.services.s3.service import S3Core
from headwater.services.s3.versions import new_version_id

log = logging.getLogger("headwater.s3.lifecycle")

SLICE = 2000  # keys per slice between two yields to the event loop
INTERVAL = 1.0  # seconds between two looks at the clock


class Lifecycle:
    def __init__(self, core: S3Core) -> None:
        self.core = core
        self._swept: dict[str, tuple[int, str]] = {}  # bucket -> (UTC day, configuration) last swept
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self.core.spawn(self._run())

    async def close(self) -> None:
        pass  # the sweeps run on the core's background tasks: closing the core ends them

    async def reset(self) -> None:
        self._swept.clear()
        await self.start()

    async def _run(self) -> None:
        while not self.core.closing:
            try:
                await self.sweep()
            except Exception:  # a bad record must not stop expiry for every bucket
                log.exception("lifecycle sweep failed")
            await self.core.clock.sleep(INTERVAL)

    async def sweep(self) -> int:
        """Applies every bucket's rules that are due; returns how many versions/uploads it removed or
        marked. Sweeps a bucket only once per UTC day and configuration."""
        async with self._lock:
            changes = 0
            now = self.core.now_ms()
            for bucket in self.core.store.buckets():
                config = bucket.configs.get("lifecycle")
                if not config:
                    self._swept.pop(bucket.name, None)
                    continue
                mark = (now // DAY_MS, f"{bucket.created_ms}:{json.dumps(config, sort_keys=True)}")
                if self._swept.get(bucket.name) == mark:
                    continue
                changes += await self._sweep_bucket(bucket.name, now)
                self._swept[bucket.name] = mark
            return changes

    async def _sweep_bucket(self, name: str, now: int) -> int:
        changes, after = 0, None
        while True:
            bucket = self.core.store.bucket(name)
            rules = enabled_rules(bucket.configs.get("lifecycle")) if bucket is not None else []
            if bucket is None or not rules:
                return changes  # deleted, or its configuration removed, meanwhile
            keys = list(islice(self.core.store.keys(name, after=after), SLICE))
            if not keys:
                break
            pending: list[Awaitable[Any]] = []
            for key in keys:
                changes += self._expire_key(bucket, rules, key, now, pending)
            await asyncio.gather(*pending)
            await asyncio.sleep(0)
            after = keys[-1]
        pending = []
        changes += self._abort_uploads(bucket, rules, now, pending)
        await asyncio.gather(*pending)
        return changes

    # -- one key ----------------------------------------------------------------------------------

    def _expire_key(
        self, bucket: Bucket, rules: list[Rule], key: str, now: int, pending: list[Awaitable[Any]]
    ) -> int:
        """Plans and applies the key's expirations (synchronously: read-modify-write)."""
        versions = list(self.core.store.versions(bucket.name, key))
        if not versions:
            return 0
        dropped: list[ObjectVersion] = []
        events: list[tuple[str, ObjectVersion]] = []
        current = versions[0]
        if not current.delete_marker and any(
            (due := expiry_due(rule, current.last_modified_ms)) is not None and now >= due
            for rule in rules
            if applies_to(rule, key, current)
        ):
            if bucket.versioning is None:
                dropped.append(versions.pop(0))
                events.append(("LifecycleExpiration:Delete", current))
            else:
                marker = ObjectVersion(
                    key=key,
                    version_id=new_version_id(bucket),  # "null" when versioning is suspended
                    last_modified_ms=now,
                    delete_marker=True,
                    owner=bucket.account,
                )
                if bucket.versioning == "Suspended":  # the null marker replaces the null version
                    dropped += [v for v in versions if v.version_id == NULL_VERSION]
                    versions = [v for v in versions if v.version_id != NULL_VERSION]
                versions.insert(0, marker)
                events.append(("LifecycleExpiration:DeleteMarkerCreated", marker))
        versions = self._expire_noncurrent(rules, key, versions, now, dropped, events)
        if (
            len(versions) == 1
            and versions[0].delete_marker
            and self._lone_marker_expired(rules, key, versions[0], now)
        ):
            dropped.append(versions.pop())
            events.append(("LifecycleExpiration:Delete", dropped[-1]))
        if not events:
            return 0
        durable = self.core.store.set_versions(bucket.name, key, versions)
        pending.append(self.core.store.release(durable, [b for version in dropped for b in version.blobs]))
        emit = getattr(self.core.notifier, "emit", None)
        if emit is not None:
            pending.extend(emit(bucket, event, version, None) for event, version in events)
        return len(events)

    @staticmethod
    def _expire_noncurrent(
        rules: list[Rule],
        key: str,
        versions: list[ObjectVersion],
        now: int,
        dropped: list[ObjectVersion],
        events: list[tuple[str, ObjectVersion]],
    ) -> list[ObjectVersion]:
        kept = versions[:1]
        for rank, version in enumerate(versions[1:], start=1):
            # it became noncurrent when the version just newer than it was written
            since = versions[rank - 1].last_modified_ms
            for rule in rules:
                expiration = rule.get("NoncurrentVersionExpiration")
                if not expiration or not applies_to(rule, key, version):
                    continue
                if rank <= (expiration.get("NewerNoncurrentVersions") or 0):
                    continue
                # a version under Object Lock stays until its retention ends and its hold is off
                if now >= after_days(since, expiration["NoncurrentDays"]) and not is_locked(
                    version, now, False
                ):
                    dropped.append(version)
                    events.append(("LifecycleExpiration:Delete", version))
                    break
            else:
                kept.append(version)
        return kept

    @staticmethod
    def _lone_marker_expired(rules: list[Rule], key: str, marker: ObjectVersion, now: int) -> bool:
        for rule in rules:
            # a delete marker has no tags nor size: a rule filtering on tags cannot take it
            if not key.startswith(rule_prefix(rule)) or rule_tags(rule):
                continue
            expiration = rule.get("Expiration") or {}
            if expiration.get("ExpiredObjectDeleteMarker"):
                return True
            # a Days/Date rule also removes a lone marker once it is old enough
            due = expiry_due(rule, marker.last_modified_ms)
            if due is not None and now >= due:
                return True
        return False

    # -- uploads ----------------------------------------------------------------------------------

    def _abort_uploads(
        self, bucket: Bucket, rules: list[Rule], now: int, pending: list[Awaitable[Any]]
    ) -> int:
        aborted = 0
        for upload in self.core.store.uploads(bucket.name):
            for rule in rules:
                abort = rule.get("AbortIncompleteMultipartUpload")
                if not abort or not upload.key.startswith(rule_prefix(rule)):
                    continue
                if now >= after_days(upload.initiated_ms, abort["DaysAfterInitiation"]):
                    durable = self.core.store.drop_upload(bucket.name, upload.upload_id)
                    parts = [part.blob_id for part in upload.parts.values()]
                    pending.append(self.core.store.release(durable, parts))
                    aborted += 1
                    break
        return aborted
