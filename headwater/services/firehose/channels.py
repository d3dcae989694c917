"""Kinesis channels' deliveries: the `ChannelDelivery` port the kinesis service runs its channels
through.

Theory of operation
-------------------
A channel's delivery is an internal KinesisStreamAsSource delivery stream to ExtendedS3 (to
Iceberg for an S3 Tables table: `_iceberg`), so it
shares everything Firehose does for a Kinesis source: a reader per shard through the
`StreamReader` port (KPL aggregates unpacked, children after their parents, reading only a bounded
distance ahead of delivery), the raw log partition, the delivery worker (one buffer closed at
128 MiB or at DataFreshnessInSeconds, the durable checkpoint, the log trimmed behind it) and the
S3 writer (streamed, compressed, retried every 5 s while the bucket refuses the object, failures
logged through `LogSink`). What differs is kept small:

- Its definition lives in its own metadata namespace (CHANNELS, by channel id), never in
  `firehose.streams`, so ListDeliveryStreams and the Firehose API never see it; its name
  (`channel:<id>`) cannot be a delivery stream's (':' is not allowed there), so its worker and
  source sit beside the delivery streams' in the core without colliding.
- Its partition has its own prefix, so the core's orphan sweep leaves it; this module sweeps its
  own at start.
- Its object keys come from the channel's OutputKeyTemplate (`channel_keys`, found in the
  destination's config by the S3 writer), and it may compress with ZSTD.

The kinesis service keeps the channel definitions (the API's truth) and writes its record before
the first `start` and deletes it after `stop`, so no delivery outlives its channel across a
crash. Deliveries resume on their own after a restart, from their durable checkpoints (shards and
raw log): at-least-once. `start` may be called before this service's own start (kinesis settles
its channels first), so every entry point loads the stored deliveries first.
"""

from __future__ import annotations

import json
from typing import Any

from headwater.runtime.ids import new_uuid
from headwater.services.firehose import channel_keys
from headwater.services.firehose.core import FirehoseCore
from headwater.services.firehose.destinations.iceberg_routing import PARQUET_CODEC_KEY
from headwater.services.firehose.metrics import NS
from headwater.services.firehose.state import CHECKPOINTS, DeliveryStream, Destination
from headwater.services.ports import CatalogError, ChannelTable, ChannelTarget, TableCatalog

CHANNELS = "firehose.channel-deliveries"  # channel id -> the internal delivery stream's JSON
PARTITION_PREFIX = "kchannel-"
SIZE_MB = 128  # an object closes at 128 MiB (Firehose's largest buffer) or at the freshness limit
COMPRESSION = {"NONE": "UNCOMPRESSED", "GZIP": "GZIP", "ZSTD": "ZSTD"}
PARQUET_CODECS = {"NONE": "uncompressed", "ZSTD": "zstd", "SNAPPY": "snappy"}  # S3 Tables' CompressionType


def _iceberg(target: ChannelTarget, table: ChannelTable) -> dict[str, Any]:
    """An S3 Tables table as Firehose's Iceberg destination sees it: the table bucket's Glue catalog
    (`catalog/s3tablescatalog/<bucket>`), the namespace as its database; a missing table is created
    with the columns of the first records (data under the general-purpose bucket named as the table
    bucket, unless its namespace gives a location); records that cannot be rows go to the
    dead-letter bucket."""
    _, _, _, region, account, resource = table.table_bucket_arn.split(":", 5)
    bucket = resource.removeprefix("bucket/")
    return {
        "CatalogConfiguration": {
            "CatalogARN": f"arn:aws:glue:{region}:{account}:catalog/s3tablescatalog/{bucket}",
            "WarehouseLocation": f"s3://{bucket}",
        },
        "DestinationTableConfigurationList": [
            {
                "DestinationDatabaseName": table.namespace,
                "DestinationTableName": table.table,
                PARQUET_CODEC_KEY: PARQUET_CODECS.get(table.compression, "zstd"),
            }
        ],
        "TableCreationConfiguration": {"Enabled": True},
        "BufferingHints": {"SizeInMBs": SIZE_MB, "IntervalInSeconds": target.freshness_s},
        "S3BackupMode": "FailedDataOnly",
        "S3Configuration": {
            "BucketARN": f"arn:aws:s3:::{target.bucket}",
            "ErrorOutputPrefix": target.error_prefix or "error/",
        },
    }


def _config(target: ChannelTarget) -> tuple[str, dict[str, Any]]:
    """The internal delivery stream's destination: its type and configuration."""
    if target.table is not None:
        kind, config = "Iceberg", _iceberg(target, target.table)
    else:
        kind, config = "ExtendedS3", _s3(target)
    if target.log_group and target.log_stream:
        config["CloudWatchLoggingOptions"] = {
            "Enabled": True,
            "LogGroupName": target.log_group,
            "LogStreamName": target.log_stream,
        }
    return kind, config


def _s3(target: ChannelTarget) -> dict[str, Any]:
    config: dict[str, Any] = {
        "BucketARN": f"arn:aws:s3:::{target.bucket}",
        "BufferingHints": {"SizeInMBs": SIZE_MB, "IntervalInSeconds": target.freshness_s},
        "CompressionFormat": COMPRESSION.get(target.compression, "UNCOMPRESSED"),
        channel_keys.CONFIG_KEY: channel_keys.settings(
            target.key_template, target.channel_name, target.channel_id, target.compression
        ),
    }
    return config


class ChannelDeliveries:
    """The port: start (or update), stop and look at channels' deliveries."""

    def __init__(self, core: FirehoseCore) -> None:
        self.core = core
        self.running: dict[str, DeliveryStream] = {}  # channel id -> its delivery
        self.loaded = False
        self.closed = False  # the service stopped: a late start (kinesis closes after) is ignored

    async def load(self) -> None:
        """Once: the stored deliveries, their partitions (orphans dropped), their workers."""
        if self.loaded:
            return
        self.loaded = True
        core = self.core
        for channel_id, raw in core.meta.scan(CHANNELS):
            self.running.setdefault(channel_id, DeliveryStream.loads(raw))
        named = {s.partition for s in self.running.values()}
        existing = {p for p in core.log.partitions() if p.startswith(PARTITION_PREFIX)}
        for orphan in existing - named:
            await core.log.drop_partition(orphan)
        for missing in named - existing:
            await core.log.create_partition(missing)
        for stream in self.running.values():
            if stream.key not in core.workers:
                core.start_worker(stream)

    async def start(self, target: ChannelTarget) -> None:
        if self.closed:
            return
        await self.load()
        core = self.core
        kind, config = _config(target)
        stream = self.running.get(target.channel_id)
        if stream is not None:
            destination = stream.destinations[0]
            if json.dumps(destination.config, sort_keys=True) != json.dumps(config, sort_keys=True):
                destination.config, destination.kind = config, kind
                await self._save(target.channel_id, stream)
                core.restart_worker(stream)  # from its checkpoint, under the new settings
            return
        if target.table is not None:
            self._check_table(target, target.table)
        stream = DeliveryStream(
            target.account,
            target.region,
            f"channel:{target.channel_id}",
            "KinesisStreamAsSource",
            PARTITION_PREFIX + new_uuid().replace("-", ""),
            core.clock.now_ms() / 1000,
            status="ACTIVE",
            destinations=[Destination("destinationId-000000000001", kind, config)],
            source={"KinesisStreamARN": target.stream_arn},
        )
        await core.log.create_partition(stream.partition)
        stream.failure = await core.sources.prepare(stream)  # LATEST, fixed now: no backfill
        self.running[target.channel_id] = stream
        await self._save(target.channel_id, stream)
        core.start_worker(stream)

    async def stop(self, channel_id: str) -> None:
        await self.load()
        core = self.core
        stream = self.running.pop(channel_id, None)
        if stream is not None:
            worker = core.workers.pop(stream.key, None)
            if worker is not None:
                await worker.stop()
            await core.sources.forget(stream)
            await core.meta.delete(CHECKPOINTS, stream.partition)
            if stream.partition in core.log.partitions():
                await core.log.drop_partition(stream.partition)
            core.metrics.forget(NS, (("DeliveryStreamName", stream.name),))
        await core.meta.delete(CHANNELS, channel_id)

    def _check_table(self, target: ChannelTarget, table: ChannelTable) -> None:
        """A new S3 Tables delivery needs its namespace and creates its own table: AWS's channels
        cannot deliver to an existing one (raises ValueError, the channel's FAILED reason)."""
        catalog = self.core.ports.find(TableCatalog)
        if catalog is None:
            raise ValueError("the Glue Data Catalog is not running")
        _, _, _, region, account, resource = table.table_bucket_arn.split(":", 5)
        catalog_id = f"{account}:s3tablescatalog/{resource.removeprefix('bucket/')}"
        try:
            catalog.table(catalog_id, region, table.namespace, table.table)
        except CatalogError as error:
            if error.message.startswith("Database"):
                raise ValueError(
                    f"Namespace {table.namespace} not found in table bucket {table.table_bucket_arn}."
                ) from None
            return  # no such table: the delivery creates it
        raise ValueError(
            f"Table {table.namespace}.{table.table} already exists in table bucket {table.table_bucket_arn}: "
            "a channel creates its own table and cannot deliver to an existing one."
        )

    def problem(self, channel_id: str) -> str | None:
        stream = self.running.get(channel_id)
        if stream is None or stream.failure is None:
            return None
        return str(stream.failure.get("Details") or stream.failure.get("Type") or "delivery failed")

    async def _save(self, channel_id: str, stream: DeliveryStream) -> None:
        await self.core.meta.put(CHANNELS, channel_id, stream.dumps())


class ChannelRunner:
    """The deliveries' part of the service's lifecycle (the core's `close` stops their workers and
    sources with its own)."""

    def __init__(self, deliveries: ChannelDeliveries) -> None:
        self.deliveries = deliveries

    async def start(self) -> None:
        await self.deliveries.load()

    async def close(self) -> None:
        self.deliveries.closed = True
        self.deliveries.running.clear()
        self.deliveries.loaded = False

    async def reset(self) -> None:
        self.deliveries.closed = False
        self.deliveries.running.clear()
        self.deliveries.loaded = False
