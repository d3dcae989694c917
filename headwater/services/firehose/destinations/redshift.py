"""Redshift destination, served by any PostgreSQL server: the staged object's COPY as PostgreSQL.

Theory of operation
-------------------
AWS stages every buffer as an object in the S3Configuration bucket, then runs
`COPY <DataTableName> (<DataTableColumns>) FROM 's3://bucket/key' <CopyOptions>` on the cluster.
Headwater does the same against the PostgreSQL server ClusterJDBCURL names
(`jdbc:redshift://host:port/db`, Username/Password; the API's pattern wants a `*.redshift.*` host,
so a name under `.localhost` such as `pg.redshift.localhost` means this machine, as RFC 6761 has
it): the object's bytes come through the
ObjectSource port, are read into rows of text as Redshift's COPY reads them (`copy_rows`), and in
one transaction are streamed into a temporary table of text columns (`COPY ... FROM STDIN`) and
inserted into the target with one expression per column that applies what depends on the
column's type: empty or blank fields of non-character columns are NULL, EMPTYASNULL/BLANKSASNULL
for character ones, TIMEFORMAT/DATEFORMAT through to_timestamp/to_date, TRUNCATECOLUMNS as an
explicit (truncating) cast. The batch loads whole or not at all. psycopg2 blocks, so every load
runs in a worker thread, off the event loop.

A failed load is retried on the `Backoff` schedule for RetryOptions.DurationInSeconds (default
3,600 s); then, as AWS, the object is skipped and a manifest naming it is returned for the
`errors/` folder of the bucket (`ErrorManifest`), for a manual backfill.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg2  # type: ignore[import-untyped]
from psycopg2 import sql

from headwater.runtime.clock import Clock
from headwater.services.firehose.destinations.copy_options import CopyPlan, parse_copy_options
from headwater.services.firehose.destinations.copy_rows import CopyDataError, Row, read_rows
from headwater.services.firehose.destinations.retry import Backoff, ReportsAttempts, retry_duration
from headwater.services.firehose.records import Failure, Record
from headwater.services.ports import ObjectSource, ObjectSourceError

DEFAULT_RETRY_SECONDS = 3600
log = logging.getLogger("headwater.firehose")
ERROR_OUTPUT_TYPE = "redshift-failed"  # only for `deliver`; AWS itself writes manifests
_JDBC = re.compile(r"^jdbc:(?:redshift|postgresql)://([^/:?]+)(?::(\d{1,5}))?/([^?;]+)")


class RedshiftLoadError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ErrorManifest:
    """A skipped object, for fh-core to write at `key` in the staging bucket."""

    key: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_sql: str  # format_type(): 'integer', 'character varying(10)', ...
    category: str  # pg_type.typcategory: S string, D date/time, N numeric, ...
    type_name: str  # pg_type.typname: 'timestamp', 'date', ...


def parse_jdbc_url(url: str) -> tuple[str, int, str]:
    match = _JDBC.match(url)
    if match is None:
        raise ValueError(f"ClusterJDBCURL {url!r} is not jdbc:redshift://host:port/database.")
    return match.group(1), int(match.group(2) or 5439), match.group(3)


def _pg_format(redshift_format: str) -> str:
    """A Redshift DATEFORMAT/TIMEFORMAT string as a PostgreSQL to_timestamp/to_date pattern."""
    out = redshift_format.replace("SS.SSSSSS", "SS.US").replace("SS.SSS", "SS.MS")
    return re.sub(r"HH(?!12|24)", "HH24", out)  # COPY's HH is the 24-hour clock


def _copy_text(rows: list[Row]) -> str:
    def field(value: str | None) -> str:
        if value is None:
            return "\\N"
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    return "".join("\t".join(field(v) for v in row) + "\n" for row in rows)


class RedshiftDestination(ReportsAttempts):
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        clock: Clock,
        objects: ObjectSource | None = None,
        account: str = "000000000000",
        rng: random.Random | None = None,
    ) -> None:
        self.host, self.port, self.database = parse_jdbc_url(str(config["ClusterJDBCURL"]))
        self.user = str(config.get("Username") or "")
        self.password = str(config.get("Password") or "")
        command = config.get("CopyCommand") or {}
        self.table = [p.strip().strip('"') for p in str(command["DataTableName"]).split(".")]
        columns = str(command.get("DataTableColumns") or "")
        self.columns = [c.strip().strip('"') for c in columns.split(",") if c.strip()]
        self.plan: CopyPlan = parse_copy_options(command.get("CopyOptions"))
        self.retry_seconds = retry_duration(config, DEFAULT_RETRY_SECONDS)
        self.clock = clock
        self.objects = objects
        self.account = account
        self.rng = rng

    # -- the delivery entry points -------------------------------------------------------------

    async def deliver_object(
        self, bucket: str, key: str, *, source: ObjectSource | None = None
    ) -> ErrorManifest | None:
        """COPY one staged object, retrying; None once loaded, else the manifest to write."""
        backoff = Backoff(self.clock, self.retry_seconds, self.rng)
        while True:
            try:
                await self.copy_object(bucket, key, source=source)
                return None
            except RedshiftLoadError as error:
                log.warning("firehose COPY of s3://%s/%s failed: %s %s", bucket, key, error.code, error)
                await self.attempt_failed(error.code, error.message)
                if not await backoff.wait():
                    return self.error_manifest(bucket, key)

    async def deliver(self, records: list[Record], stream_arn: str) -> list[Failure]:
        """Loads records directly (no staged object); what cannot be loaded comes back."""
        data = b"".join(r.data for r in records)
        backoff = Backoff(self.clock, self.retry_seconds, self.rng)
        while True:
            try:
                await self.load(data, compressed=False)
                return []
            except RedshiftLoadError as error:
                await self.attempt_failed(error.code, error.message)
                if not await backoff.wait():
                    return [
                        Failure(r, ERROR_OUTPUT_TYPE, error.code, error.message, backoff.attempts)
                        for r in records
                    ]

    async def copy_object(self, bucket: str, key: str, *, source: ObjectSource | None = None) -> int:
        """One COPY attempt of a staged object; the number of rows loaded."""
        objects = source or self.objects
        if objects is None:
            raise RedshiftLoadError("S3.ObjectSource", "No object source to read staged objects.")
        try:
            data = await objects.read_object(self.account, bucket, key)
        except ObjectSourceError as error:
            raise RedshiftLoadError(f"S3.{error.code}", error.message) from error
        return await self.load(data)

    async def load(self, data: bytes, *, compressed: bool = True) -> int:
        return await asyncio.to_thread(self._load, data, compressed)

    def error_manifest(self, bucket: str, key: str) -> ErrorManifest:
        at = dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)
        name = key.rsplit("/", 1)[-1]
        body = {"entries": [{"url": f"s3://{bucket}/{key}", "mandatory": True}]}
        return ErrorManifest(f"errors/manifests/{at:%Y/%m/%d/%H}/{name}", json.dumps(body).encode())

    # -- the load, in a worker thread ----------------------------------------------------------

    def _load(self, data: bytes, compressed: bool) -> int:
        local = self.host == "localhost" or self.host.endswith(".localhost")
        try:
            connection = psycopg2.connect(
                host="127.0.0.1" if local else self.host,
                port=self.port,
                dbname=self.database,
                user=self.user,
                password=self.password,
                connect_timeout=10,
                application_name="headwater-firehose",
            )
        except psycopg2.Error as error:
            raise RedshiftLoadError("Redshift.ConnectionFailed", str(error).strip()) from error
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                columns = self._columns(cursor)
                rows = read_rows(data, self.plan, [c.name for c in columns], compressed=compressed)
                if self.plan.noload or not rows:
                    return 0
                return self._insert(cursor, columns, rows)
        except CopyDataError as error:
            raise RedshiftLoadError("Redshift.DataLoadFailed", str(error)) from error
        except psycopg2.Error as error:
            raise RedshiftLoadError("Redshift.DataLoadFailed", str(error).strip()) from error
        finally:
            connection.close()

    def _columns(self, cursor: Any) -> list[Column]:
        name = sql.Identifier(*self.table).as_string(cursor)
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname"
            " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attnum",
            (name,),
        )
        found = [Column(*row) for row in cursor.fetchall()]
        if not found:
            raise RedshiftLoadError(
                "Redshift.TableNotFound", f'relation "{".".join(self.table)}" does not exist'
            )
        if not self.columns:
            return found
        by_name = {c.name: c for c in found}
        missing = [c for c in self.columns if c not in by_name]
        if missing:
            raise RedshiftLoadError(
                "Redshift.ColumnNotFound",
                f'column "{missing[0]}" of relation "{".".join(self.table)}" does not exist',
            )
        return [by_name[c] for c in self.columns]

    def _expression(self, column: Column, staged: sql.Composable) -> sql.Composable:
        plan = self.plan
        kind = sql.SQL(column.type_sql)
        if column.category == "S":
            value = staged
            if plan.empty_as_null:
                value = sql.SQL("NULLIF({}, '')").format(value)
            if plan.blanks_as_null:
                value = sql.SQL("CASE WHEN btrim({0}) = '' THEN NULL ELSE {0} END").format(value)
            # An explicit cast truncates to the declared length; the insert's own cast fails.
            return sql.SQL("CAST({} AS {})").format(value, kind) if plan.truncate_columns else value
        value = sql.SQL("NULLIF(btrim({}), '')").format(staged)  # Redshift: empty -> NULL
        if column.type_name in ("timestamp", "timestamptz") and plan.time_format:
            form = plan.time_format
            if form.lower() == "epochsecs":
                value = sql.SQL("to_timestamp(CAST({} AS double precision))").format(value)
            elif form.lower() == "epochmillisecs":
                value = sql.SQL("to_timestamp(CAST({} AS double precision) / 1000)").format(value)
            elif form.lower() != "auto":
                value = sql.SQL("to_timestamp({}, {})").format(value, sql.Literal(_pg_format(form)))
        elif column.type_name == "date" and plan.date_format and plan.date_format.lower() != "auto":
            value = sql.SQL("to_date({}, {})").format(value, sql.Literal(_pg_format(plan.date_format)))
        return sql.SQL("CAST({} AS {})").format(value, kind)

    def _insert(self, cursor: Any, columns: list[Column], rows: list[Row]) -> int:
        staged = [sql.Identifier(f"c{i}") for i in range(len(columns))]
        cursor.execute(
            sql.SQL("CREATE TEMP TABLE headwater_copy ({}) ON COMMIT DROP").format(
                sql.SQL(", ").join(sql.SQL("{} text").format(s) for s in staged)
            )
        )
        cursor.copy_expert("COPY headwater_copy FROM STDIN", io.StringIO(_copy_text(rows)))
        cursor.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM headwater_copy").format(
                sql.Identifier(*self.table),
                sql.SQL(", ").join(sql.Identifier(c.name) for c in columns),
                sql.SQL(", ").join(self._expression(c, s) for c, s in zip(columns, staged, strict=True)),
            )
        )
        return int(cursor.rowcount)
