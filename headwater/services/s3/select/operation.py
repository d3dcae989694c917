"""SelectObjectContent: checks the request and the SQL before anything is sent (so that they fail
as plain S3 errors), then answers 200 with the event stream as the body (no Content-Length:
chunked), evaluated as the object's bytes are read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from headwater.services.context import RequestContext, ResponseBody
from headwater.services.s3 import sse
from headwater.services.s3.bodies import open_body
from headwater.services.s3.bucket_rules import lookup
from headwater.services.s3.errors import s3_error
from headwater.services.s3.object_read import find_version, invalid_object_state, readable
from headwater.services.s3.select import inputs, outputs
from headwater.services.s3.service import S3Core

Params = dict[str, Any]
Scan = tuple[int, int | None]


async def select_object_content(core: S3Core, params: Params, ctx: RequestContext) -> Params:
    if (params.get("ExpressionType") or "SQL") != "SQL":
        raise s3_error(
            "InvalidExpressionType", "The ExpressionType is invalid. Only SQL expressions are supported."
        )
    expression = params.get("Expression")
    source = params.get("InputSerialization") or {}
    formats = [name for name in ("CSV", "JSON", "Parquet") if source.get(name) is not None]
    if not expression or len(formats) != 1 or not params.get("OutputSerialization"):
        raise s3_error(
            "MissingRequiredParameter", "The SelectRequest entity is missing a required parameter."
        )
    kind = formats[0]
    settings: Mapping[str, Any] = source[kind] or {}
    compression = (source.get("CompressionType") or "NONE").upper()
    _check_input(kind, settings, compression)
    # the SQL modules (sqlglot) load on the first query, not with the server
    from headwater.services.s3.select import query, stream

    parsed = query.parse(str(expression))
    writer = outputs.writer(params["OutputSerialization"])
    bucket = lookup(core, params)
    version = find_version(core, bucket, params["Key"], params.get("VersionId"), "GET")
    sse.check_customer_key_read(params)
    if not readable(version, core.now_ms()):
        raise invalid_object_state(version)
    scan = _scan_range(params.get("ScanRange"), kind, settings, compression, version.size)
    start = max(scan[0] - 1, 0) if scan is not None else 0
    body = await open_body(core, version, start, version.size)
    counters = inputs.Counters()
    chunks = inputs.inflate(body, compression, counters)
    records = _records(kind, settings, chunks, scan, start, parsed.from_path)
    progress = bool((params.get("RequestProgress") or {}).get("Enabled"))
    frames = stream.frames(parsed, records, writer, counters, progress)
    return {"Payload": ResponseBody(frames, None)}


def _check_input(kind: str, settings: Mapping[str, Any], compression: str) -> None:
    if compression not in ("NONE", "GZIP", "BZIP2"):
        raise s3_error(
            "InvalidCompressionFormat",
            "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.",
        )
    if kind == "Parquet" and compression != "NONE":
        raise s3_error(
            "InvalidRequestParameter", "The value of a parameter in SelectRequest element is invalid."
        )
    if kind == "JSON" and (settings.get("Type") or "DOCUMENT").upper() not in ("DOCUMENT", "LINES"):
        raise s3_error("InvalidJsonType", "The JsonType is invalid. Only DOCUMENT and LINES are supported.")
    header = (settings.get("FileHeaderInfo") or "NONE").upper() if kind == "CSV" else "NONE"
    if header not in ("NONE", "USE", "IGNORE"):
        raise s3_error(
            "InvalidFileHeaderInfo",
            "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.",
        )


def _scan_range(
    scan: Mapping[str, Any] | None, kind: str, settings: Mapping[str, Any], compression: str, size: int
) -> Scan | None:
    if not scan:
        return None
    lines = kind == "CSV" or (settings.get("Type") or "DOCUMENT").upper() == "LINES"
    if kind == "Parquet" or not lines or compression != "NONE":
        raise s3_error(
            "UnsupportedScanRangeInput", "Scan range queries are not supported on this type of object."
        )
    start, end = scan.get("Start"), scan.get("End")
    if start is None and end is not None:  # the last End bytes, as a suffix range
        return max(size - int(end), 0), None
    first = int(start or 0)
    last = int(end) if end is not None else None
    if first < 0 or (last is not None and last < first):
        raise s3_error(
            "InvalidRequestParameter", "The value of a parameter in SelectRequest element is invalid."
        )
    return first, last


def _records(
    kind: str,
    settings: Mapping[str, Any],
    chunks: AsyncIterator[bytes],
    scan: Scan | None,
    offset: int,
    from_path: list[str | None],
) -> AsyncIterator[Any]:
    if kind == "CSV":
        return inputs.csv_records(chunks, settings, scan, offset)
    if kind == "Parquet":
        source = inputs.parquet_rows(chunks)
    elif (settings.get("Type") or "DOCUMENT").upper() == "LINES":
        source = inputs.json_lines(chunks, scan, offset)
    else:
        source = inputs.json_documents(chunks)
    return source if not from_path else _along(source, from_path)


async def _along(documents: AsyncIterator[Any], steps: list[str | None]) -> AsyncIterator[Any]:
    async for document in documents:
        for record in inputs.navigate(document, steps):
            yield record


OPERATIONS = {"SelectObjectContent": select_object_content}
