"""The object's bytes as records, as they arrive (InputSerialization).

Theory of operation
-------------------
The body streams in decrypted chunks (`scanned` counts them); GZIP and BZIP2 are inflated chunk by
chunk (`processed` counts what comes out). CSV and JSON LINES are cut into records at the record
delimiter without holding more than the current record; a quoted delimiter joins two lines only
when AllowQuotedRecordDelimiter is TRUE, as in S3. A ScanRange (uncompressed CSV and JSON LINES)
reads from one byte before Start, drops the partial first record, and stops after the last record
that starts at or before End. A JSON DOCUMENT input is a sequence of JSON values, each decoded
once it is complete (an attempt waits until the buffer has doubled, so a large value is not
re-parsed for every chunk). Parquet needs its footer first: the object is spooled to a temporary
file (never to memory) and read a row group batch at a time with pyarrow.
"""

from __future__ import annotations

import asyncio
import bz2
import csv
import json
import tempfile
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.services.s3.errors import s3_error
from headwater.services.s3.select import errors
from headwater.services.s3.select.values import CsvRecord, header_maps


@dataclass(slots=True)
class Counters:
    scanned: int = 0
    processed: int = 0
    returned: int = 0


async def inflate(chunks: AsyncIterator[bytes], compression: str, counters: Counters) -> AsyncIterator[bytes]:
    if compression not in ("GZIP", "BZIP2"):
        async for chunk in chunks:
            counters.scanned += len(chunk)
            counters.processed += len(chunk)
            yield chunk
        return
    new = (lambda: zlib.decompressobj(wbits=47)) if compression == "GZIP" else bz2.BZ2Decompressor
    decoder: Any = new()
    async for chunk in chunks:
        counters.scanned += len(chunk)
        while chunk:
            try:
                out = decoder.decompress(chunk)
            except (zlib.error, OSError, EOFError):
                raise _bad_compression() from None
            counters.processed += len(out)
            if out:
                yield out
            chunk = decoder.unused_data if decoder.eof else b""
            if chunk:  # a concatenated member/stream follows
                decoder = new()
    if not decoder.eof:
        raise _bad_compression()


def _bad_compression() -> Exception:
    return s3_error(
        "InvalidCompressionFormat",
        "The file is not in a supported compression format. Only GZIP and BZIP2 are supported.",
    )


async def lines(
    chunks: AsyncIterator[bytes], delimiter: bytes, quote: bytes | None, offset: int
) -> AsyncIterator[tuple[int, bytes]]:
    """(start offset, record bytes without the delimiter); `quote` set joins quoted delimiters."""
    buffer = b""
    start = offset  # of buffer[0]
    step = len(delimiter)
    async for chunk in chunks:
        buffer += chunk
        begin = search = 0  # slicing the buffer per record would copy it per record
        while True:
            at = buffer.find(delimiter, search)
            if at < 0:
                break
            record = buffer[begin:at]
            if quote and record.count(quote) % 2:
                search = at + step  # the delimiter is inside quotes: keep going
                continue
            yield start + begin, record
            begin = search = at + step
        buffer = buffer[begin:]
        start += begin
    if buffer:
        yield start, buffer


async def csv_records(
    chunks: AsyncIterator[bytes],
    settings: Mapping[str, Any],
    scan: tuple[int, int | None] | None,
    offset: int,
) -> AsyncIterator[CsvRecord]:
    field_delimiter = settings.get("FieldDelimiter") or ","
    record_delimiter = (settings.get("RecordDelimiter") or "\n").encode()
    quote = settings.get("QuoteCharacter") or '"'
    escape = settings.get("QuoteEscapeCharacter") or quote
    comments = settings.get("Comments") or "#"
    header_info = (settings.get("FileHeaderInfo") or "NONE").upper()
    joined = quote.encode() if str(settings.get("AllowQuotedRecordDelimiter")).upper() == "TRUE" else None
    header: tuple[dict[str, int], dict[str, int]] | None = None
    first = scan is None or scan[0] == 0
    skip_partial = scan is not None and scan[0] > 0
    async for start, raw in lines(chunks, record_delimiter, joined, offset):
        if skip_partial:
            skip_partial = False
            continue
        if scan is not None and scan[1] is not None and start > scan[1]:
            return
        text = raw.decode("utf-8", "replace")
        if record_delimiter == b"\n" and text.endswith("\r"):
            text = text[:-1]
        if not text or (comments and text.startswith(comments)):
            continue
        fields = _split(text, field_delimiter, quote, escape)
        if first and header_info in ("USE", "IGNORE"):
            first = False
            if header_info == "USE":
                header = header_maps(fields)
            continue
        first = False
        yield CsvRecord(fields, header[0] if header else None, header[1] if header else None)


def _split(text: str, delimiter: str, quote: str, escape: str) -> list[str]:
    if len(delimiter) != 1 or len(quote) != 1:
        return text.split(delimiter)
    try:
        reader = csv.reader(
            [text],
            delimiter=delimiter,
            quotechar=quote,
            escapechar=escape if escape != quote and len(escape) == 1 else None,
            doublequote=escape == quote,
            strict=False,
        )
        return next(reader, [])
    except csv.Error:
        raise errors.parsing_error("CSV") from None


async def json_lines(
    chunks: AsyncIterator[bytes], scan: tuple[int, int | None] | None, offset: int
) -> AsyncIterator[Any]:
    skip_partial = scan is not None and scan[0] > 0
    async for start, raw in lines(chunks, b"\n", None, offset):
        if skip_partial:
            skip_partial = False
            continue
        if scan is not None and scan[1] is not None and start > scan[1]:
            return
        if raw.strip():
            yield _json(raw)


def _json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.parsing_error("JSON") from None


async def json_documents(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    decoder = json.JSONDecoder()
    text = ""
    pending = b""  # an incomplete UTF-8 sequence at a chunk's end
    retry_at = 0
    async for chunk in chunks:
        data = pending + chunk
        cut = _utf8_boundary(data)
        text += data[:cut].decode("utf-8", "replace")
        pending = data[cut:]
        if len(text) < retry_at:
            continue
        while True:
            stripped = text.lstrip()
            if not stripped:
                text = ""
                break
            try:
                value, end = decoder.raw_decode(stripped)
            except ValueError:
                retry_at = len(stripped) * 2
                text = stripped
                break
            yield value
            text = stripped[end:]
            retry_at = 0
    text += pending.decode("utf-8", "replace")
    while text.strip():
        stripped = text.lstrip()
        try:
            value, end = decoder.raw_decode(stripped)
        except ValueError:
            raise errors.parsing_error("JSON") from None
        yield value
        text = stripped[end:]


def _utf8_boundary(data: bytes) -> int:
    """The length of `data` up to a complete UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII)
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 6 else 3 if byte >> 4 == 14 else 4
            return len(data) if need <= back else len(data) - back
    return len(data)


async def parquet_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    try:
        import pyarrow.parquet as pq  # heavy: imported on the first Parquet query
    except ImportError:
        raise s3_error("NotImplemented", "Parquet input needs pyarrow, which is not installed", 501) from None
    with tempfile.TemporaryFile() as spool:
        async for chunk in chunks:
            spool.write(chunk)
        spool.seek(0)
        try:
            batches = pq.ParquetFile(spool).iter_batches(batch_size=1024)
            for batch in batches:
                for row in batch.to_pylist():
                    yield row
                await asyncio.sleep(0)
        except (OSError, ValueError):  # pyarrow's ArrowInvalid and ArrowIOError among them
            raise errors.parsing_error("Parquet") from None


def navigate(document: Any, steps: list[str | None]) -> list[Any]:
    """The records a FROM path (`S3Object[*].items[*]`) picks out of one document."""
    found = [document]
    for step in steps:
        following: list[Any] = []
        for value in found:
            if step is None:
                following.extend(value if isinstance(value, list) else [value])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        found = following
    return found
