"""Which Iceberg table a record goes to, and with which operation (AWS's routing rules).

A record is one JSON object (a row). Its table and operation come, first found first, from:
a Lambda transformation's `metadata.otfMetadata`, the MetadataExtraction processor's jq query in the ProcessingConfiguration (it yields
`destinationDatabaseName`, `destinationTableName` and `operation`), else the single table of
DestinationTableConfigurationList. Missing names fall back to that single table; a missing
operation is `insert`. With AppendOnly every operation is an insert. A record that cannot be
routed (not JSON, a jq error, no table named) is a failure for the error output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.services.firehose.processing import partitioning, pipeline

PARQUET_CODEC_KEY = "KinesisChannelParquetCodec"  # in a table entry: only channels set it
OPERATIONS = ("insert", "update", "delete")


@dataclass(frozen=True, slots=True)
class TableSettings:
    database: str
    table: str
    unique_keys: tuple[str, ...] = ()
    error_prefix: str | None = None
    identity: tuple[str, ...] = ()  # PartitionSpec.Identity source columns, for created tables
    codec: str | None = None  # Parquet compression of created tables (a Kinesis channel's)


@dataclass(frozen=True, slots=True)
class Settings:
    tables: Mapping[tuple[str, str], TableSettings]
    query: Any = None  # the compiled jq program, or None
    append_only: bool = False
    evolve: bool = False
    create: bool = False
    warehouse: str | None = None
    account: str | None = None  # CatalogARN's catalog id: another account, or `<acct>:s3tablescatalog/<b>`
    region: str | None = None
    retry_seconds: float = 300.0

    def single(self) -> TableSettings | None:
        return next(iter(self.tables.values())) if len(self.tables) == 1 else None

    def table(self, database: str, table: str) -> TableSettings:
        found = self.tables.get((database.lower(), table.lower()))
        return found if found is not None else TableSettings(database.lower(), table.lower())


@dataclass(slots=True)
class Routed:
    index: int  # the record's position in the buffer
    row: dict[str, Any]
    operation: str
    settings: TableSettings = field(default_factory=lambda: TableSettings("", ""))


class RoutingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _processor_query(config: Mapping[str, Any]) -> str | None:
    processing = config.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled"):
        return None
    for processor in processing.get("Processors") or ():
        if processor.get("Type") == "MetadataExtraction":
            return pipeline.parameters(processor).get("MetadataExtractionQuery")
    return None


def settings(config: Mapping[str, Any]) -> Settings:
    """The destination's settings (raises ValueError for a jq query that does not compile)."""
    tables: dict[tuple[str, str], TableSettings] = {}
    for given in config.get("DestinationTableConfigurationList") or ():
        database, table = str(given["DestinationDatabaseName"]), str(given["DestinationTableName"])
        spec = (given.get("PartitionSpec") or {}).get("Identity") or ()
        tables[(database.lower(), table.lower())] = TableSettings(
            database.lower(),
            table.lower(),
            tuple(given.get("UniqueKeys") or ()),
            given.get("S3ErrorOutputPrefix") or None,
            tuple(str(f["SourceName"]) for f in spec if "SourceName" in f),
            given.get(PARQUET_CODEC_KEY) or None,
        )
    query = _processor_query(config)
    catalog = config.get("CatalogConfiguration") or {}
    arn = str(catalog.get("CatalogARN") or "").split(":", 5)
    account = arn[4] if len(arn) > 4 and arn[4] else None
    resource = arn[5] if len(arn) > 5 else ""
    if account and resource.startswith("catalog/"):  # catalog/s3tablescatalog/<bucket>: S3 Tables'
        account = f"{account}:{resource.removeprefix('catalog/')}"
    retry = (config.get("RetryOptions") or {}).get("DurationInSeconds", 300)
    return Settings(
        tables=tables,
        query=partitioning.compiled(query) if query else None,
        append_only=bool(config.get("AppendOnly")),
        evolve=bool((config.get("SchemaEvolutionConfiguration") or {}).get("Enabled")),
        create=bool((config.get("TableCreationConfiguration") or {}).get("Enabled")),
        warehouse=catalog.get("WarehouseLocation") or None,
        region=arn[3] if len(arn) > 4 and arn[3] else None,
        account=account,
        retry_seconds=float(retry) if isinstance(retry, int) and retry >= 0 else 300.0,
    )


def _query(program: Any, value: Any) -> dict[str, Any]:
    try:
        outputs = program.input_value(value).all()
    except ValueError as error:
        raise RoutingError("Iceberg.MetadataExtractionFailed", str(error)) from None
    if len(outputs) != 1 or not isinstance(outputs[0], dict):
        raise RoutingError(
            "Iceberg.MetadataExtractionFailed", "The metadata extraction query must produce one JSON object."
        )
    return outputs[0]


def route(settings: Settings, index: int, data: bytes, otf: Mapping[str, str] | None = None) -> Routed:
    """Where one record goes (`otf`: the Lambda's otfMetadata for it), or RoutingError."""
    try:
        row = json.loads(data)
    except ValueError:
        raise RoutingError("Iceberg.InvalidRecord", "The record is not valid JSON.") from None
    if not isinstance(row, dict):
        raise RoutingError("Iceberg.InvalidRecord", "The record must be a JSON object.")
    found = dict(otf) if otf else _query(settings.query, row) if settings.query is not None else {}
    single = settings.single()
    database = found.get("destinationDatabaseName") or (single.database if single else None)
    table = found.get("destinationTableName") or (single.table if single else None)
    if not isinstance(database, str) or not isinstance(table, str):
        raise RoutingError(
            "Iceberg.MissingTableRouting",
            "No destination table: give destinationDatabaseName and destinationTableName "
            "(jq or Lambda metadata) or configure a single table.",
        )
    operation = str(found.get("operation") or "insert").lower()
    if operation not in OPERATIONS:
        raise RoutingError(
            "Iceberg.InvalidOperation", f"Invalid operation {operation!r}: use insert, update or delete."
        )
    if settings.append_only:
        operation = "insert"
    return Routed(index, row, operation, settings.table(database, table))


def group(routed: Sequence[Routed]) -> dict[tuple[str, str], list[Routed]]:
    """Records by table, each list in arrival order."""
    tables: dict[tuple[str, str], list[Routed]] = {}
    for item in routed:
        tables.setdefault((item.settings.database, item.settings.table), []).append(item)
    return tables
