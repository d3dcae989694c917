"""The output SerDes: a pyarrow table written as Parquet (ParquetSerDe) or ORC (OrcSerDe).

ParquetSerDe: Compression (SNAPPY default, GZIP, UNCOMPRESSED), PageSizeBytes (the data page
size), EnableDictionaryCompression (off unless set, as Firehose's Hive writer), WriterVersion (V1:
format 1.0 with v1 data pages, V2: format 2.6 with v2 pages), BlockSizeBytes bounds a row group's
bytes (pyarrow counts rows: the row count is estimated from the table's size). MaxPaddingBytes
(HDFS padding) has no meaning for an S3 object and is accepted only. Timestamps are INT96, as Hive's
Parquet writer (and so Firehose) stores them, which Athena, Spark, pyarrow and DuckDB read.

OrcSerDe: Compression (SNAPPY default, ZLIB, NONE), StripeSizeBytes, RowIndexStride,
PaddingTolerance, DictionaryKeyThreshold, BloomFilterColumns, BloomFilterFalsePositiveProbability
and FormatVersion are passed to pyarrow's ORC writer; BlockSizeBytes and EnablePadding (HDFS block
alignment) are accepted and have no effect.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq

MIB = 1 << 20
_PARQUET_CODECS = {"SNAPPY": "snappy", "GZIP": "gzip", "UNCOMPRESSED": "none"}
_ORC_CODECS = {"SNAPPY": "snappy", "ZLIB": "zlib", "NONE": "uncompressed"}


def output_format(serializer: Mapping[str, Any]) -> str:
    """ "parquet" or "orc": which serializer the configuration names."""
    if "OrcSerDe" in serializer:
        return "orc"
    if "ParquetSerDe" in serializer:
        return "parquet"
    raise ValueError("The Serializer must name ParquetSerDe or OrcSerDe")


def write(table: pa.Table, serializer: Mapping[str, Any]) -> bytes:
    sink = io.BytesIO()
    if output_format(serializer) == "orc":
        _write_orc(table, sink, serializer.get("OrcSerDe") or {})
    else:
        _write_parquet(table, sink, serializer.get("ParquetSerDe") or {})
    return sink.getvalue()


def _write_parquet(table: pa.Table, sink: io.BytesIO, options: Mapping[str, Any]) -> None:
    v2 = options.get("WriterVersion") == "V2"
    block = options.get("BlockSizeBytes") or 256 * MIB
    rows_per_group = max(1, block // max(1, table.nbytes // max(1, table.num_rows))) if table.num_rows else 1
    pq.write_table(
        table,
        sink,
        row_group_size=rows_per_group,
        compression=_PARQUET_CODECS[options.get("Compression") or "SNAPPY"],
        data_page_size=options.get("PageSizeBytes") or MIB,
        use_dictionary=bool(options.get("EnableDictionaryCompression")),
        version="2.6" if v2 else "1.0",
        data_page_version="2.0" if v2 else "1.0",
        use_deprecated_int96_timestamps=True,
    )


def _write_orc(table: pa.Table, sink: io.BytesIO, options: Mapping[str, Any]) -> None:
    names = [name.lower() for name in table.column_names]
    blooms = [names.index(c.lower()) for c in options.get("BloomFilterColumns") or [] if c.lower() in names]
    orc.write_table(
        table,
        sink,
        file_version="0.11" if options.get("FormatVersion") == "V0_11" else "0.12",
        stripe_size=options.get("StripeSizeBytes") or 64 * MIB,
        compression=_ORC_CODECS[options.get("Compression") or "SNAPPY"],
        row_index_stride=options.get("RowIndexStride") or 10_000,
        padding_tolerance=options.get("PaddingTolerance", 0.05),
        dictionary_key_size_threshold=options.get("DictionaryKeyThreshold", 0.0),
        bloom_filter_columns=blooms or None,
        bloom_filter_fpp=options.get("BloomFilterFalsePositiveProbability", 0.05),
    )
