"""A staged object's bytes read the way Redshift's COPY reads them, as rows of text fields.

`read_rows(data, plan, columns)` decompresses (GZIP, BZIP2, ZSTD), decodes UTF-8 (invalid bytes
replaced by the ACCEPTINVCHARS character when asked, else an error, as Redshift), and splits:
JSON 'auto' maps each top-level object's keys onto the column names (case-insensitively with
'auto ignorecase'; absent keys are NULL; objects may be concatenated with no separator, as
Firehose writes them); CSV follows RFC 4180 with the configured delimiter and quote; delimited
text splits on the delimiter with ESCAPE and REMOVEQUOTES as Redshift defines them. NULL AS,
TRIMBLANKS, IGNOREHEADER, IGNOREBLANKLINES and FILLRECORD apply here; what depends on a column's
type (EMPTYASNULL, BLANKSASNULL, TIMEFORMAT...) is left to the SQL `redshift.py` builds.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import zlib
from typing import Any

import cramjam

from headwater.services.firehose.destinations.copy_options import CopyPlan

Row = list[str | None]


class CopyDataError(ValueError):
    """The data does not match the CopyCommand (Redshift would fail the COPY with STL_LOAD_ERRORS)."""


def decompress(data: bytes, compression: str | None) -> bytes:
    try:
        if compression == "GZIP":
            return gzip.decompress(data)
        if compression == "BZIP2":
            return bz2.decompress(data)
        if compression == "ZSTD":
            return bytes(cramjam.zstd.decompress(data))
    except (OSError, EOFError, ValueError, zlib.error, cramjam.DecompressionError) as error:
        raise CopyDataError(f"The object is not valid {compression} data: {error}") from error
    return data


def decode(data: bytes, plan: CopyPlan) -> str:
    if plan.accept_inv_chars is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CopyDataError(
                f"String contains invalid or unsupported UTF8 codepoints (byte {error.start})."
            ) from error
    return data.decode("utf-8", "replace").replace("\ufffd", plan.accept_inv_chars)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def _json_rows(text: str, plan: CopyPlan, columns: list[str]) -> list[Row]:
    decoder = json.JSONDecoder()
    rows: list[Row] = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            return rows
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError as error:
            raise CopyDataError(f"Invalid JSON in the object: {error}") from error
        if not isinstance(value, dict):
            raise CopyDataError("Invalid JSONPath format: Member is not an object.")
        if plan.json_ignorecase:
            value = {str(k).lower(): v for k, v in value.items()}
            rows.append([_json_text(value.get(c.lower())) for c in columns])
        else:
            rows.append([_json_text(value.get(c)) for c in columns])


def _text_records(text: str, plan: CopyPlan) -> list[list[tuple[str, str]]]:
    """Delimited text as records of (raw, value) fields: raw is the field as written (NULL AS
    compares against it), value is it after ESCAPE and REMOVEQUOTES."""
    records: list[list[tuple[str, str]]] = []
    fields: list[tuple[str, str]] = []
    raw: list[str] = []
    value: list[str] = []
    quoted = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if plan.escape and ch == "\\" and i + 1 < n:
            raw.append(text[i : i + 2])
            value.append(text[i + 1])
            i += 2
            continue
        if plan.remove_quotes and ch == '"':
            quoted = not quoted
            raw.append(ch)
        elif ch == plan.delimiter and not quoted:
            fields.append(("".join(raw), "".join(value)))
            raw, value = [], []
        elif ch == "\n" and not quoted:
            if value and value[-1] == "\r":
                value.pop()
                raw.pop()
            fields.append(("".join(raw), "".join(value)))
            records.append(fields)
            fields, raw, value = [], [], []
        else:
            raw.append(ch)
            value.append(ch)
        i += 1
    if raw or fields:
        fields.append(("".join(raw), "".join(value)))
        records.append(fields)
    return records


def _delimited_rows(text: str, plan: CopyPlan, width: int) -> list[Row]:
    if plan.format == "CSV":
        reader = csv.reader(io.StringIO(text), delimiter=plan.delimiter, quotechar=plan.quote)
        try:
            records = [[(f, f) for f in record] for record in reader]
        except csv.Error as error:
            raise CopyDataError(f"The CSV data cannot be parsed: {error}") from error
        null_as = plan.null_as
    else:
        records = _text_records(text, plan)
        null_as = "\\N" if plan.null_as is None else plan.null_as
    rows: list[Row] = []
    for number, record in enumerate(records[plan.ignore_header :], start=plan.ignore_header + 1):
        if plan.ignore_blank_lines and (not record or record == [("", "")]):
            continue
        if len(record) < width:
            if not plan.fill_record:
                raise CopyDataError(f"Delimiter not found (line {number}).")
            record = record + [("", "")] * (width - len(record))
        elif len(record) > width:
            raise CopyDataError(f"Extra column(s) found (line {number}).")
        rows.append([None if raw == null_as else value for raw, value in record])
    return rows


def read_rows(data: bytes, plan: CopyPlan, columns: list[str], *, compressed: bool = True) -> list[Row]:
    text = decode(decompress(data, plan.compression) if compressed else data, plan)
    if plan.format == "JSON":
        rows = _json_rows(text, plan, columns)
    else:
        rows = _delimited_rows(text, plan, len(columns))
    if plan.trim_blanks:
        rows = [[None if v is None else v.rstrip(" ") for v in row] for row in rows]
    return rows
