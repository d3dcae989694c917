"""The Apache Iceberg Tables destination: a flushed buffer's JSON records become rows of Iceberg
tables registered in Headwater's Glue Data Catalog, written with pyiceberg.

Theory of operation
-------------------
Each record is routed (`iceberg_routing`: the single configured table, or the jq query's
destinationDatabaseName/destinationTableName/operation, or a Lambda transformation's
`metadata.otfMetadata`), grouped by table, and each table's rows
are applied by `iceberg_writer` on this destination's own thread, since pyiceberg blocks. That
thread reaches Headwater's Glue and S3 in process, through the `TableCatalog`, `ObjectSink` and
`ObjectSource` ports (`iceberg_catalog.PortCatalog`, `iceberg_io.HeadwaterFileIO`), whose
coroutines it hands to the event loop: no HTTP to ourselves, no credentials, and stopping the
destination cancels whatever the thread waits on. A table write that fails as a whole (a file the
store refused, a commit that lost a race) is retried from 1 s, doubling, for
RetryOptions.DurationInSeconds (300 s by default); rows that cannot be written (no such table,
values that do not fit its columns, an update without UniqueKeys) go to the S3 error output under
`iceberg-failed`, in the table's S3ErrorOutputPrefix when it has one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from headwater.runtime.clock import Clock
from headwater.services.firehose.destinations import iceberg_routing as routing
from headwater.services.firehose.destinations.iceberg_catalog import PortCatalog
from headwater.services.firehose.destinations.iceberg_io import BridgeClosed, HeadwaterFileIO, LoopBridge
from headwater.services.firehose.destinations.iceberg_writer import Failed, write_table
from headwater.services.firehose.destinations.retry import Backoff, DestinationFailure
from headwater.services.firehose.records import Record
from headwater.services.ports import ObjectSink, ObjectSource, TableCatalog

ERROR_TYPE = "iceberg-failed"
log = logging.getLogger("headwater.firehose")


@dataclass(frozen=True, slots=True)
class IcebergFailure(DestinationFailure):
    error_prefix: str | None = None  # the table's S3ErrorOutputPrefix


def problem(config: Mapping[str, Any]) -> str | None:
    """Why CreateDeliveryStream must refuse this Iceberg configuration, or None."""
    try:
        routing.settings(config)
    except ValueError as error:
        return f"MetadataExtractionQuery is not a valid jq expression: {error}"
    except KeyError as error:
        return f"DestinationTableConfigurationList entry lacks {error}."
    return None


class IcebergDestination:
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        clock: Clock,
        account: str,
        region: str,
        catalog: TableCatalog,
        sink: ObjectSink,
        source: ObjectSource | None,
    ) -> None:
        self.config = config
        self.settings = routing.settings(config)
        self.clock = clock
        self.bridge = LoopBridge()
        io = HeadwaterFileIO(self.bridge, account, sink, source)
        self.catalog = PortCatalog(
            catalog,
            io,
            self.settings.account or account,
            self.settings.region or region,
            self.settings.warehouse,
        )
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="firehose-iceberg")

    async def aclose(self) -> None:
        self.bridge.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def deliver(
        self, records: Sequence[Record], otf: Mapping[str, str] | None = None
    ) -> list[IcebergFailure]:
        """Writes the records; `otf` is the Lambda's otfMetadata for all of them (the worker
        buffers records by it)."""
        self.bridge.loop = asyncio.get_running_loop()
        failures: list[IcebergFailure] = []
        routed: list[routing.Routed] = []
        for index, record in enumerate(records):
            try:
                routed.append(routing.route(self.settings, index, record.data, otf))
            except routing.RoutingError as error:
                failures.append(IcebergFailure(record, ERROR_TYPE, error.code, error.message))
        for rows in routing.group(routed).values():
            settings = rows[0].settings
            for index, code, message in await self._write(settings, rows):
                failures.append(
                    IcebergFailure(
                        records[index], ERROR_TYPE, code, message, error_prefix=settings.error_prefix
                    )
                )
        return failures

    async def _write(self, settings: routing.TableSettings, rows: list[routing.Routed]) -> list[Failed]:
        loop = asyncio.get_running_loop()
        backoff = Backoff(self.clock, self.settings.retry_seconds)
        while True:
            try:
                return await loop.run_in_executor(
                    self._pool,
                    lambda: write_table(
                        self.catalog, settings, rows, evolve=self.settings.evolve, create=self.settings.create
                    ),
                )
            except BridgeClosed:
                raise asyncio.CancelledError from None
            except Exception as error:  # pyiceberg's and the store's errors: retried, then failed
                log.warning(
                    "firehose Iceberg write to %s.%s failed: %s", settings.database, settings.table, error
                )
                if not await backoff.wait():
                    return [(r.index, "Iceberg.WriteFailed", str(error)[:512]) for r in rows]
