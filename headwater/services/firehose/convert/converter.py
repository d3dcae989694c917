"""Record format conversion: JSON records in, one Parquet or ORC object out, with the records that
cannot be converted returned as "format-conversion-failed" failures.

`Converter(config, table)` takes the destination's DataFormatConversionConfiguration and the Glue
table its SchemaConfiguration names (read through the `TableCatalog` port). The table's columns
(not its partition keys: those live in the object's prefix) are the file's schema, in order. A
table whose column types cannot be parsed, or that has no columns, fails every record with
`DataFormatConversion.InvalidSchema`; a record that is not JSON or whose values do not fit their
columns fails alone with `DataFormatConversion.MalformedData`. `error_fields` gives what AWS's
error document adds for these failures (sequence numbers, dataCatalogTable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from headwater.protocol import hive_types
from headwater.services.firehose.convert.reading import RowReader, rules_of
from headwater.services.firehose.convert.writing import output_format, write
from headwater.services.firehose.records import Failure, Record
from headwater.services.ports import CatalogTable

ERROR_OUTPUT_TYPE = "format-conversion-failed"
MALFORMED = "DataFormatConversion.MalformedData"
INVALID_SCHEMA = "DataFormatConversion.InvalidSchema"


class Converter:
    def __init__(self, config: Mapping[str, Any], table: CatalogTable) -> None:
        """Raises ValueError when `config` names no (or an unusable) deserializer or serializer:
        CreateDeliveryStream's validation rejects those before a converter is built."""
        deserializer = (config.get("InputFormatConfiguration") or {}).get("Deserializer") or {}
        self._serializer = (config.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
        self.output_format = output_format(self._serializer)
        self.table = table
        self._schema_config = config.get("SchemaConfiguration") or {}
        rules = rules_of(deserializer)
        self.schema_error: str | None = None
        try:
            self.schema = pa.schema(
                [pa.field(c.name.lower(), hive_types.parse(c.type)) for c in table.columns]
            )
            if not table.columns:
                raise ValueError(f"The table {table.database}.{table.name} has no columns")
        except ValueError as error:
            self.schema_error = str(error)
            self.schema = pa.schema([])
        self._reader = RowReader(self.schema, rules)

    @property
    def extension(self) -> str:
        return f".{self.output_format}"

    def convert(self, records: list[Record]) -> tuple[bytes, list[Failure]]:
        """The object holding every convertible record's rows (b"" when none is) and the failures."""
        if self.schema_error is not None:
            return b"", [_failure(record, INVALID_SCHEMA, self.schema_error) for record in records]
        body = self.convert_batch([record.data for record in records])
        if body is not None:
            return body, []
        rows: list[list[Any]] = []
        failures: list[Failure] = []
        for record in records:
            try:
                rows.extend(self._reader.rows(record.data))
            except ValueError as error:
                failures.append(_failure(record, MALFORMED, str(error)))
        if not rows:
            return b"", failures
        return self._write([list(values) for values in zip(*rows, strict=True)]), failures

    def convert_batch(self, datas: Sequence[bytes]) -> bytes | None:
        """The object, when every record converts on the batch path (`RowReader.columns`); None
        when `convert` must decide record by record."""
        if self.schema_error is not None:
            return None
        columns = self._reader.columns(datas)
        return None if columns is None else self._write(columns)

    def _write(self, columns: list[list[Any]]) -> bytes:
        arrays = [
            pa.array(values, type=field.type) for values, field in zip(columns, self.schema, strict=True)
        ]
        return write(pa.Table.from_arrays(arrays, schema=self.schema), self._serializer)

    def error_fields(self, failure: Failure, *, account: str, region: str) -> dict[str, Any]:
        """The members AWS's format-conversion error document has beyond the common ones."""
        catalog = self._schema_config.get("CatalogId") or account
        where = self._schema_config.get("Region") or region
        fields: dict[str, Any] = {}
        if failure.record.kinesis is not None:
            fields["sequenceNumber"] = failure.record.kinesis.sequence_number
            fields["subSequenceNumber"] = failure.record.kinesis.subsequence_number
        fields["dataCatalogTable"] = {
            "catalogId": catalog,
            "databaseName": self.table.database,
            "tableName": self.table.name,
            "region": where,
            "versionId": self._schema_config.get("VersionId") or "LATEST",
            "catalogArn": f"arn:aws:glue:{where}:{catalog}:catalog",
        }
        return fields


def _failure(record: Record, code: str, message: str) -> Failure:
    return Failure(record, ERROR_OUTPUT_TYPE, code, message)
