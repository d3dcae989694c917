"""Running a query over the records and framing the results as S3's event stream.

Events (application/vnd.amazon.eventstream, botocore's EventStreamBuffer decodes them): Records
(result bytes, at most ~64 KiB per event), Progress (when RequestProgress is enabled, every ~1 MiB
scanned) and Cont (keep-alive) along the way, then Stats and End. An error found once the stream
has started (a CAST that fails on row 10,000) ends it with an error frame carrying S3's code and
message, which botocore raises from the Payload iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from headwater.protocol import eventstream
from headwater.protocol.errors import AwsError
from headwater.services.s3.select.evaluate import Evaluator
from headwater.services.s3.select.inputs import Counters
from headwater.services.s3.select.outputs import CsvWriter, JsonWriter
from headwater.services.s3.select.query import Query
from headwater.services.s3.select.rows import Aggregator, Projector

RECORDS_BYTES = 64 * 1024
PROGRESS_EVERY = 1024 * 1024
_YIELD_EVERY = 512  # records between yields to the event loop


def _event(name: str, payload: bytes = b"", content_type: str | None = None) -> bytes:
    headers: list[tuple[str, eventstream.HeaderValue]] = [(":event-type", name)]
    if content_type is not None:
        headers.append((":content-type", content_type))
    headers.append((":message-type", "event"))
    return eventstream.encode_message(headers, payload)


def _counts(root: str, counters: Counters) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="">'
        f"<BytesScanned>{counters.scanned}</BytesScanned>"
        f"<BytesProcessed>{counters.processed}</BytesProcessed>"
        f"<BytesReturned>{counters.returned}</BytesReturned></{root}>"
    ).encode()


async def frames(
    query: Query,
    records: AsyncIterator[Any],
    writer: CsvWriter | JsonWriter,
    counters: Counters,
    progress: bool,
) -> AsyncIterator[bytes]:
    evaluator = Evaluator(query)
    projector = Projector(query, evaluator)
    aggregator = Aggregator(query, evaluator) if query.aggregates else None
    out: list[str] = []
    size = 0
    emitted = 0
    next_progress = PROGRESS_EVERY
    seen = 0
    try:
        async for record in records:
            seen += 1
            if seen % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            if progress and counters.scanned >= next_progress:
                next_progress = counters.scanned + PROGRESS_EVERY
                yield _event("Progress", _counts("Progress", counters), "text/xml")
            if not evaluator.matches(record):
                continue
            if aggregator is not None:
                aggregator.add(record)
                continue
            if query.limit is not None and emitted >= query.limit:
                break
            line = writer.write(projector.row(record))
            emitted += 1
            out.append(line)
            size += len(line)
            if size >= RECORDS_BYTES:
                yield _records(out, counters)
                out, size = [], 0
            if query.limit is not None and emitted >= query.limit:
                break
        if aggregator is not None and (query.limit is None or query.limit > 0):
            out.append(writer.write(aggregator.row(projector)))
        if out:
            yield _records(out, counters)
    except AwsError as error:
        yield eventstream.error_frame(error.code, error.message)
        return
    finally:
        aclose = getattr(records, "aclose", None)
        if aclose is not None:
            await aclose()
    if progress:
        yield _event("Progress", _counts("Progress", counters), "text/xml")
    yield _event("Stats", _counts("Stats", counters), "text/xml")
    yield _event("End")


def _records(lines: list[str], counters: Counters) -> bytes:
    payload = "".join(lines).encode()
    counters.returned += len(payload)
    return _event("Records", payload, "application/octet-stream")
