"""Stand-ins for the modules other Firehose branches provide, until they are merged: the merge
replaces each function here with an import of the real one (same names and signatures as the
round-1 contract), so nothing else in the service changes.

- `naming` (fh-naming): `validate_prefixes`, `evaluate`, `object_name`, `extension`
- `compression` (fh-naming): `Compressor`, `content_encoding`
- `processing.pipeline` (fh-proc): `process`

What is here is the simplest correct subset: the default `YYYY/MM/dd/HH/` prefix appended to a
literal prefix, no expressions evaluated, UNCOMPRESSED and GZIP only, no processing stages.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from headwater.services.firehose.records import Processed, Record


def validate_prefixes(
    prefix: str | None, error_prefix: str | None, *, dynamic_partitioning: bool, destination: str
) -> None:
    """fh-naming checks every rule; the stand-in accepts what the model accepted."""


def _at(at_ms: int, time_zone: str | None) -> dt.datetime:
    zone = ZoneInfo(time_zone) if time_zone else dt.UTC
    return dt.datetime.fromtimestamp(at_ms / 1000, tz=zone)


def evaluate(
    prefix: str | None,
    *,
    at_ms: int,
    time_zone: str | None,
    partition_keys: Mapping[str, str],
    error_output_type: str | None = None,
) -> str:
    """The literal prefix followed by the default `YYYY/MM/dd/HH/` (AWS concatenates literally);
    an error prefix that is absent becomes `<error-output-type>/YYYY/MM/dd/HH/`."""
    stamp = _at(at_ms, time_zone).strftime("%Y/%m/%d/%H/")
    if error_output_type is not None and not prefix:
        return f"{error_output_type}/{stamp}"
    return f"{prefix or ''}{stamp}"


def object_name(stream: str, version: int, at_ms: int, extension: str) -> str:
    stamp = _at(at_ms, None).strftime("%Y-%m-%d-%H-%M-%S")
    return f"{stream}-{version}-{stamp}-{uuid.uuid4()}{extension}"


def extension(compression: str, file_extension: str | None, converted_to: str | None) -> str:
    if file_extension:
        return file_extension
    return {"GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".hsnappy"}.get(
        compression, ""
    )


class Compressor:
    """Streaming compression: GZIP here, anything else passes through until fh-naming lands."""

    def __init__(self, compression: str) -> None:
        self._gzip = zlib.compressobj(6, zlib.DEFLATED, 31) if compression == "GZIP" else None

    def feed(self, data: bytes) -> bytes:
        return self._gzip.compress(data) if self._gzip is not None else data

    def finish(self) -> bytes:
        return self._gzip.flush() if self._gzip is not None else b""


def content_encoding(compression: str) -> str | None:
    return None


async def process(config: Mapping[str, Any], records: list[Record], ctx: Any) -> Processed:
    """No processing stage runs until fh-proc's pipeline is merged."""
    return Processed(records)
