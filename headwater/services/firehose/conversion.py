"""Record format conversion in a delivery stream: the create-time checks and the flush-time step
between a buffer and its S3 object.

Theory of operation
-------------------
An ExtendedS3 destination whose DataFormatConversionConfiguration is enabled (`Enabled` defaults
to true) names a deserializer (OpenX or Hive JSON), a serializer (Parquet or ORC) and, through its
SchemaConfiguration, a Glue table. CreateDeliveryStream and UpdateDestination check the first
two and that a schema configuration is there (`check`); the table itself is only read when a
buffer flushes, through the `TableCatalog` port, so a table created or altered later is what the
next object uses, as on AWS.

At flush time `Conversion.convert` turns the buffered records into one object (`convert/`): the
records that do not fit the table come back as "format-conversion-failed" failures with the
fields AWS's error documents add (`error_fields`). When the table (or its database) cannot be
read, every record of the buffer fails with DataFormatConversion.EntityNotFound and AWS's message;
the records go to the error output rather than wait, so a stream whose schema was deleted keeps
its raw data. Converting a 128 MiB buffer is CPU work, so it runs in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.services.firehose import errors
from headwater.services.firehose.convert.converter import ERROR_OUTPUT_TYPE, Converter
from headwater.services.firehose.convert.reading import rules_of
from headwater.services.firehose.convert.writing import output_format
from headwater.services.firehose.records import Failure, Record
from headwater.services.ports import CatalogError, TableCatalog

ENTITY_NOT_FOUND = "DataFormatConversion.EntityNotFound"
ENTITY_NOT_FOUND_MESSAGE = (
    "The specified table/database could not be found. Please ensure that the table/database exists "
    "and that the values provided in the schema configuration are correct, especially with regards "
    "to casing."
)


def enabled(config: Mapping[str, Any]) -> bool:
    section = config.get("DataFormatConversionConfiguration")
    return isinstance(section, dict) and bool(section) and section.get("Enabled") is not False


def check(config: Mapping[str, Any]) -> None:
    """CreateDeliveryStream's and UpdateDestination's checks of an enabled conversion; raises
    InvalidArgumentException."""
    if not enabled(config):
        return
    section = config["DataFormatConversionConfiguration"]
    schema = section.get("SchemaConfiguration")
    if not schema:
        raise errors.invalid("SchemaConfiguration is required when DataFormatConversion is enabled.")
    for member in ("DatabaseName", "TableName"):
        if not schema.get(member):
            raise errors.invalid(
                f"SchemaConfiguration.{member} is required when DataFormatConversion is enabled."
            )
    deserializer = (section.get("InputFormatConfiguration") or {}).get("Deserializer") or {}
    if not deserializer:
        raise errors.invalid(
            "InputFormatConfiguration.Deserializer is required when DataFormatConversion is enabled."
        )
    if len(deserializer) != 1:
        raise errors.invalid("Exactly one of OpenXJsonSerDe or HiveJsonSerDe must be specified.")
    serializer = (section.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    if not serializer:
        raise errors.invalid(
            "OutputFormatConfiguration.Serializer is required when DataFormatConversion is enabled."
        )
    if len(serializer) != 1:
        raise errors.invalid("Exactly one of ParquetSerDe or OrcSerDe must be specified.")
    try:
        rules_of(deserializer)
        output_format(serializer)
    except ValueError as error:
        raise errors.invalid(str(error)) from None


@dataclass(slots=True)
class Converted:
    body: bytes  # b"" when no record could be converted
    output_format: str  # "parquet" or "orc"
    records: int
    failures: list[Failure] = field(default_factory=list)
    fields: Callable[[Failure], dict[str, Any]] | None = None  # the error documents' extra members


@dataclass(frozen=True, slots=True)
class Conversion:
    """A destination's conversion, bound to the stream's account and region and the catalog."""

    config: Mapping[str, Any]  # the DataFormatConversionConfiguration
    catalog: TableCatalog | None
    account: str
    region: str

    def _schema(self) -> Mapping[str, Any]:
        return self.config.get("SchemaConfiguration") or {}

    async def convert(self, datas: Sequence[bytes], arrival_ms: int) -> Converted:
        fmt = output_format((self.config.get("OutputFormatConfiguration") or {}).get("Serializer") or {})
        schema = self._schema()
        account = schema.get("CatalogId") or self.account
        region = schema.get("Region") or self.region
        try:
            if self.catalog is None:
                raise CatalogError("EntityNotFoundException", "no Glue Data Catalog runs")
            table = self.catalog.table(
                account, region, schema["DatabaseName"], schema["TableName"], schema.get("VersionId")
            )
        except CatalogError:
            records = [Record("", data, arrival_ms) for data in datas]
            failures = [
                Failure(r, ERROR_OUTPUT_TYPE, ENTITY_NOT_FOUND, ENTITY_NOT_FOUND_MESSAGE) for r in records
            ]
            return Converted(b"", fmt, 0, failures, self._missing_fields)
        converter = Converter(self.config, table)
        body, failures = await asyncio.to_thread(_convert, converter, datas, arrival_ms)
        stream_account, stream_region = self.account, self.region

        def fields(failure: Failure) -> dict[str, Any]:
            return converter.error_fields(failure, account=stream_account, region=stream_region)

        return Converted(body, fmt, len(datas) - len(failures), failures, fields)

    def _missing_fields(self, failure: Failure) -> dict[str, Any]:
        schema = self._schema()
        catalog = schema.get("CatalogId") or self.account
        region = schema.get("Region") or self.region
        return {
            "dataCatalogTable": {
                "catalogId": catalog,
                "databaseName": schema.get("DatabaseName"),
                "tableName": schema.get("TableName"),
                "region": region,
                "versionId": schema.get("VersionId") or "LATEST",
                "catalogArn": f"arn:aws:glue:{region}:{catalog}:catalog",
            }
        }


def _convert(converter: Converter, datas: Sequence[bytes], arrival_ms: int) -> tuple[bytes, list[Failure]]:
    """The batch path first (no Record objects); records only when some may fail."""
    body = converter.convert_batch(datas)
    if body is not None:
        return body, []
    return converter.convert([Record("", data, arrival_ms) for data in datas])
