"""Bucket inventory: the configurations (Put/Get/List/DeleteBucketInventoryConfiguration) and the
reports, delivered on the server clock.

Theory of operation
-------------------
Configurations live in the bucket's `configs["inventory"]` (id -> configuration as sent). The
`Inventory` stage looks at the clock about every second (a test clock's advance wakes it at once)
and delivers a report for each enabled configuration once the UTC day has changed since it was
put (Daily) or seven days after it (Weekly), then every day or week: S3 promises the first report
within 48 hours and one per period after it. A report is what S3 writes to the destination bucket
under `<prefix>/<source bucket>/<configuration id>/`: the listing as `data/<uuid>.csv.gz` (gzipped
CSV, every field quoted; Parquet and ORC where pyarrow is installed), then
`<YYYY-MM-DDTHH-MMZ>/manifest.json` (what the files hold and their MD5s) and `manifest.checksum`
(the manifest's MD5). When each configuration was put is stored beside it (`inventory_since`);
when the next report is due after that is kept in memory (after a restart, the first report due
since the put is delivered again).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import gzip
import hashlib
import importlib
import io
import json
import logging
import uuid
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.s3.bucket_rules import lookup, no_content, not_found, save
from headwater.services.s3.errors import invalid_argument, malformed_xml
from headwater.services.s3.object_sink import write_object
from headwater.services.s3.records import Bucket, ObjectVersion
from headwater.services.s3.service import S3Core

log = logging.getLogger("headwater.s3.inventory")
Params = dict[str, Any]
DAY_MS = 86_400_000
FORMATS = ("CSV", "ORC", "Parquet")
FIELDS = (
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "ETag",
    "IsMultipartUploaded",
    "ReplicationStatus",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
    "IntelligentTieringAccessTier",
    "BucketKeyStatus",
    "ChecksumAlgorithm",
    "ObjectAccessControlList",
    "ObjectOwner",
)


# -- the configurations -------------------------------------------------------------------------------


def _configs(bucket: Bucket) -> dict[str, Any]:
    return dict(bucket.configs.get("inventory") or {})


def _missing(bucket: Bucket) -> Exception:
    return not_found("NoSuchConfiguration", "The specified configuration does not exist.", bucket.name)


def check(config: Any, config_id: str) -> Params:
    if not isinstance(config, dict):
        raise malformed_xml()
    destination = (config.get("Destination") or {}).get("S3BucketDestination") or {}
    arn = str(destination.get("Bucket") or "")
    if (
        config.get("Id") is None
        or config.get("IsEnabled") is None
        or config.get("IncludedObjectVersions") not in ("All", "Current")
        or (config.get("Schedule") or {}).get("Frequency") not in ("Daily", "Weekly")
        or destination.get("Format") not in FORMATS
    ):
        raise malformed_xml()
    if config["Id"] != config_id:
        raise invalid_argument("Configuration ID must match ID in configuration", "id", config_id)
    if not arn.startswith("arn:aws:s3:::") or len(arn) == len("arn:aws:s3:::"):
        raise invalid_argument("Invalid bucket ARN.", "Bucket", arn)
    for name in config.get("OptionalFields") or []:
        if name not in FIELDS:
            raise malformed_xml()
    return config


async def put_configuration(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    config_id = str(params.get("Id") or "")
    config = check(params.get("InventoryConfiguration"), config_id)
    bucket = lookup(core, params)
    configs = _configs(bucket)
    configs[config_id] = config
    since = dict(bucket.configs.get("inventory_since") or {})
    since[config_id] = core.now_ms()  # reports are due from here (a replaced one starts over)
    bucket = bucket.with_config("inventory_since", since)
    await save(core, bucket, "inventory", configs)
    return {}


async def get_configuration(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    config = _configs(bucket).get(str(params.get("Id")))
    if config is None:
        raise _missing(bucket)
    return {"InventoryConfiguration": config}


async def list_configurations(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    configs = [config for _, config in sorted(_configs(bucket).items())]
    result: Params = {"IsTruncated": False}
    if configs:
        result["InventoryConfigurationList"] = configs
    return result


async def delete_configuration(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    bucket = lookup(core, params)
    configs = _configs(bucket)
    if configs.pop(str(params.get("Id")), None) is None:
        raise _missing(bucket)
    since = {k: v for k, v in (bucket.configs.get("inventory_since") or {}).items() if k in configs}
    bucket = bucket.with_config("inventory_since", since or None)
    await save(core, bucket, "inventory", configs or None)
    return no_content()


OPERATIONS = {
    "PutBucketInventoryConfiguration": put_configuration,
    "GetBucketInventoryConfiguration": get_configuration,
    "ListBucketInventoryConfigurations": list_configurations,
    "DeleteBucketInventoryConfiguration": delete_configuration,
}


# -- the reports ----------------------------------------------------------------------------------------


class Inventory:
    """The stage that delivers reports (see the module doc)."""

    def __init__(self, core: S3Core) -> None:
        self.core = core
        self._next: dict[tuple[str, str], int] = {}  # (bucket, id) -> when the next report is due

    async def start(self) -> None:
        self.core.spawn(self._run())

    async def close(self) -> None:
        pass  # runs on the core's background tasks

    async def reset(self) -> None:
        self._next.clear()
        await self.start()

    async def _run(self) -> None:
        while not self.core.closing:
            try:
                await self.deliver_due()
            except Exception:  # one bad configuration must not stop every report
                log.exception("inventory delivery failed")
            await self.core.clock.sleep(1.0)

    async def deliver_due(self) -> None:
        now = self.core.now_ms()
        seen: set[tuple[str, str]] = set()
        for bucket in self.core.store.buckets():
            since = bucket.configs.get("inventory_since") or {}
            for config_id, config in _configs(bucket).items():
                slot = (bucket.name, config_id)
                seen.add(slot)
                period = DAY_MS * (7 if config["Schedule"]["Frequency"] == "Weekly" else 1)
                start = int(since.get(config_id, now))  # the first report: a period after the put
                due = self._next.setdefault(slot, (start // DAY_MS + 1) * DAY_MS + period - DAY_MS)
                if now >= due and config.get("IsEnabled"):
                    self._next[slot] = (now // DAY_MS) * DAY_MS + period
                    await self.report(bucket, config, now)
                    await asyncio.sleep(0)
        for gone in self._next.keys() - seen:
            del self._next[gone]

    async def report(self, bucket: Bucket, config: Params, now: int) -> None:
        destination = config["Destination"]["S3BucketDestination"]
        target = str(destination["Bucket"]).removeprefix("arn:aws:s3:::")
        fmt = destination["Format"]
        prefix = f"{destination['Prefix'].rstrip('/')}/" if destination.get("Prefix") else ""
        base = f"{prefix}{bucket.name}/{config['Id']}"
        columns = ["Bucket", "Key"]
        if config["IncludedObjectVersions"] == "All":
            columns += ["VersionId", "IsLatest", "IsDeleteMarker"]
        columns += [name for name in config.get("OptionalFields") or [] if name in FIELDS]
        rows = list(self._rows(bucket, config, columns))
        data, suffix = encode(fmt, columns, rows)
        if data is None:
            log.warning("inventory %s of %s: %s reports need pyarrow", config["Id"], bucket.name, fmt)
            return
        data_key = f"{base}/data/{uuid.uuid4()}.{suffix}"
        if not await write_object(self.core, target, data_key, data, "application/octet-stream"):
            return
        manifest = {
            "sourceBucket": bucket.name,
            "destinationBucket": destination["Bucket"],
            "version": "2016-11-30",
            "creationTimestamp": str(now),
            "fileFormat": fmt,
            "fileSchema": ", ".join(columns),
            "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}],
        }
        stamp = dt.datetime.fromtimestamp(now / 1000, dt.UTC).strftime("%Y-%m-%dT%H-%MZ")
        document = json.dumps(manifest, indent=2).encode()
        await write_object(self.core, target, f"{base}/{stamp}/manifest.json", document, "application/json")
        checksum = hashlib.md5(document).hexdigest().encode()
        await write_object(self.core, target, f"{base}/{stamp}/manifest.checksum", checksum, "text/plain")

    def _rows(self, bucket: Bucket, config: Params, columns: list[str]) -> Any:
        prefix = str((config.get("Filter") or {}).get("Prefix") or "")
        every = config["IncludedObjectVersions"] == "All"
        for key in self.core.store.keys(bucket.name, prefix=prefix):
            listed = self.core.store.versions(bucket.name, key)
            for index, version in enumerate(listed if every else listed[:1]):
                if version.delete_marker and not every:
                    continue
                yield [_field(bucket, version, name, index == 0) for name in columns]


def _field(bucket: Bucket, version: ObjectVersion, name: str, latest: bool) -> str:
    values = {
        "Bucket": bucket.name,
        "Key": version.key,
        "VersionId": "" if version.version_id == "null" else version.version_id,
        "IsLatest": str(latest).lower(),
        "IsDeleteMarker": str(version.delete_marker).lower(),
        "Size": "" if version.delete_marker else str(version.size),
        "LastModifiedDate": dt.datetime.fromtimestamp(version.last_modified_ms / 1000, dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "StorageClass": "" if version.delete_marker else version.storage_class,
        "ETag": version.etag.strip('"'),
        "IsMultipartUploaded": str(bool(version.part_sizes)).lower(),
        "EncryptionStatus": {"AES256": "SSE-S3", "aws:kms": "SSE-KMS"}.get(version.sse or "", "NOT-SSE"),
        "BucketKeyStatus": "DISABLED",
        "ChecksumAlgorithm": ",".join(version.checksums),
        "ObjectOwner": version.owner or bucket.account,
    }
    return values.get(name, "")


def encode(fmt: str, columns: list[str], rows: list[list[str]]) -> tuple[bytes | None, str]:
    """The report file: gzipped CSV with every field quoted, or Parquet/ORC (None without pyarrow)."""
    if fmt == "CSV":
        text = io.StringIO()
        csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
        return gzip.compress(text.getvalue().encode()), "csv.gz"
    try:
        pa = importlib.import_module("pyarrow")
        writer = importlib.import_module("pyarrow.parquet" if fmt == "Parquet" else "pyarrow.orc")
    except ImportError:
        return None, ""
    names = [name[0].lower() + name[1:] for name in columns]
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
    out = io.BytesIO()
    writer.write_table(table, out)
    return out.getvalue(), "parquet" if fmt == "Parquet" else "orc"
