"""One buffer's rows into one Iceberg table with pyiceberg (blocking: runs on the destination's
thread).

Rows are applied in arrival order as runs of one operation: inserts are appended, updates are
upserts on the table's UniqueKeys (the last row of a key in a run wins; a key not in the table is
inserted), deletes remove the rows whose keys match. Each run is one Iceberg commit. A row whose
values do not fit the table's columns fails alone (Iceberg.SchemaMismatch); fields the table lacks
are added as columns with SchemaEvolution enabled and dropped otherwise. A missing table is
created, with a schema inferred from the rows, when TableCreation is enabled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import AlwaysFalse, And, BooleanExpression, EqualTo, In, Or, Reference
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.table import Table
from pyiceberg.transforms import IdentityTransform

from headwater.services.firehose.destinations.iceberg_catalog import PortCatalog
from headwater.services.firehose.destinations.iceberg_routing import Routed, TableSettings

Failed = tuple[int, str, str]  # (record index, error code, message)


PARQUET_CODEC = "write.parquet.compression-codec"


def write_table(
    catalog: PortCatalog, settings: TableSettings, rows: Sequence[Routed], *, evolve: bool, create: bool
) -> list[Failed]:
    """Applies `rows` to the table; returns the rows that failed. Raises on what a retry may cure
    (the store refusing a file, a concurrent commit)."""
    try:
        table = catalog.load_table((settings.database, settings.table))
    except NoSuchTableError as error:
        if not create:
            return [
                (
                    r.index,
                    "Iceberg.NoSuchTable",
                    f"Table {settings.database}.{settings.table} not found: {error}",
                )
                for r in rows
            ]
        table = _create(catalog, settings, rows)
    if evolve:
        table = _evolve(table, rows)
    failed: list[Failed] = []
    keys = settings.unique_keys
    for operation, run in _runs(rows):
        if operation != "insert" and not keys:
            failed += [
                (r.index, "Iceberg.InvalidUniqueKeys", f"An {operation} needs UniqueKeys for the table.")
                for r in run
            ]
            continue
        if any(k not in r.row for r in run for k in keys) and operation != "insert":
            missing = [r for r in run if any(k not in r.row for k in keys)]
            failed += [
                (r.index, "Iceberg.InvalidUniqueKeys", "The record lacks a unique key column.")
                for r in missing
            ]
            run = [r for r in run if r not in missing]
        data, bad = _arrow(table, run)
        failed += bad
        if data.num_rows == 0:
            continue
        if operation == "insert":
            table.append(data)
        elif operation == "update":
            table.upsert(_last_per_key(data, keys), join_cols=list(keys))
        else:
            table.delete(delete_filter=_key_filter(data, keys))
        table = table.refresh()
    return failed


def _runs(rows: Sequence[Routed]) -> list[tuple[str, list[Routed]]]:
    runs: list[tuple[str, list[Routed]]] = []
    for row in rows:
        if runs and runs[-1][0] == row.operation:
            runs[-1][1].append(row)
        else:
            runs.append((row.operation, [row]))
    return runs


def _coerce(value: Any, kind: pa.DataType) -> Any:
    """JSON has no timestamps or dates: ISO-8601 strings and epoch milliseconds become them."""
    if value is None:
        return None
    if pa.types.is_timestamp(kind):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if pa.types.is_date(kind) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def _arrow(table: Table, run: Sequence[Routed]) -> tuple[pa.Table, list[Failed]]:
    """The run's rows as the table's columns; rows that do not fit fail alone (the whole run is
    converted at once, and row by row only when that fails)."""
    schema = table.schema().as_arrow()
    rows: list[tuple[int, dict[str, Any]]] = []
    failed: list[Failed] = []
    for routed in run:
        try:
            rows.append((routed.index, {f.name: _coerce(routed.row.get(f.name), f.type) for f in schema}))
        except (ValueError, TypeError, OverflowError) as error:
            failed.append(_mismatch(routed.index, error))
    try:
        return pa.Table.from_pylist([row for _, row in rows], schema=schema), failed
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        pass
    good: list[dict[str, Any]] = []
    for index, row in rows:
        try:
            pa.Table.from_pylist([row], schema=schema)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as error:
            failed.append(_mismatch(index, error))
            continue
        good.append(row)
    return pa.Table.from_pylist(good, schema=schema), failed


def _mismatch(index: int, error: Exception) -> Failed:
    return (index, "Iceberg.SchemaMismatch", f"The record does not match the table's schema: {error}")


def _last_per_key(data: pa.Table, keys: Sequence[str]) -> pa.Table:
    rows = data.to_pylist()
    latest: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        latest[tuple(row[k] for k in keys)] = i
    return data.take(sorted(latest.values()))


def _key_filter(data: pa.Table, keys: Sequence[str]) -> BooleanExpression:
    """The rows whose unique keys match one of `data`'s (a flat IN for one key, so a large delete
    does not nest thousands of ORs)."""
    if len(keys) == 1:
        values = {v for v in data.column(keys[0]).to_pylist() if v is not None}
        return In(Reference(keys[0]), values) if values else AlwaysFalse()  # type: ignore[call-arg, arg-type]
    expression: BooleanExpression = AlwaysFalse()
    for row in data.select(list(keys)).to_pylist():
        match: BooleanExpression | None = None
        for key in keys:
            term: BooleanExpression = EqualTo(Reference(key), row[key])  # type: ignore[call-arg]
            match = term if match is None else And(match, term)
        if match is not None:
            expression = Or(expression, match)
    return expression


def _inferred(rows: Sequence[Routed]) -> pa.Schema:
    return pa.Table.from_pylist([r.row for r in rows]).schema


def _create(catalog: PortCatalog, settings: TableSettings, rows: Sequence[Routed]) -> Table:
    schema = catalog._convert_schema_if_needed(_inferred(rows), 2)
    fields = [
        PartitionField(schema.find_field(name).field_id, 1000 + i, IdentityTransform(), name)
        for i, name in enumerate(settings.identity)
    ]
    # a Kinesis channel's CompressionType becomes the created table's Parquet codec
    properties = {PARQUET_CODEC: settings.codec} if settings.codec else {}
    return catalog.create_table(
        (settings.database, settings.table),
        schema,
        partition_spec=PartitionSpec(*fields),
        properties=properties,
    )


def _evolve(table: Table, rows: Sequence[Routed]) -> Table:
    known = {f.name for f in table.schema().fields}
    extra = [r for r in rows if any(name not in known for name in r.row)]
    if not extra:
        return table
    inferred = _inferred(extra)
    new = pa.schema([f for f in inferred if f.name not in known and not pa.types.is_null(f.type)])
    if len(new) == 0:
        return table
    with table.update_schema() as update:
        update.union_by_name(new)
    return table.refresh()
