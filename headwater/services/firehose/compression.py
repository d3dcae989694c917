"""Streaming compression of a delivery stream's objects, one `Compressor` per object.

Theory of operation
-------------------
`feed` takes the next records' bytes and returns whatever compressed output is ready; `finish`
returns the tail. Concatenating every returned piece gives the object body, so the caller can
stream it into a multipart write without holding the whole object.

- UNCOMPRESSED: the bytes as they are.
- GZIP: one gzip member (zlib with a gzip header).
- ZIP: one deflated entry, written as a streaming entry (sizes and CRC in a data descriptor after
  the data, as `zipfile` writes to an unseekable file), then the central directory.
- Snappy: snappy-java's stream format (what Java's SnappyOutputStream writes and
  SnappyInputStream reads): the header `\\x82SNAPPY\\x00`, version 1 and compatible version 1
  as big-endian int32s, then per 32 KiB block a big-endian int32 length and a raw snappy block.
- HADOOP_SNAPPY: Hadoop's BlockCompressorStream framing: per block of up to 256 KiB, a big-endian
  int32 uncompressed length, then big-endian int32 compressed length + raw snappy data.
- ZSTD (Kinesis channels only; Firehose's API has no such CompressionFormat): one Zstandard frame.
Raw snappy and zstd come from cramjam.
"""

from __future__ import annotations

import struct
import time
import zlib

import cramjam

FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")  # Firehose's CompressionFormat
CHANNEL_FORMATS = ("ZSTD",)  # Kinesis channels' CompressionType adds it
SNAPPY_JAVA_MAGIC = b"\x82SNAPPY\x00"
SNAPPY_JAVA_BLOCK = 32 * 1024  # SnappyOutputStream's default block size
HADOOP_SNAPPY_BLOCK = 256 * 1024  # io.compression.codec.snappy.buffersize's default
_INT = struct.Struct(">i")


def _raw_snappy(data: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(data))


def content_encoding(compression: str) -> str | None:
    """Firehose does not document setting Content-Encoding on the objects it writes (their body is
    the compressed file itself, named by its extension), so none is set."""
    del compression
    return None


class Compressor:
    def __init__(
        self, compression: str, *, entry_name: str = "data", at_ms: int | None = None, level: int = 6
    ) -> None:
        """`entry_name` names the ZIP entry; `at_ms` its modification time (default: now); `level`
        is the deflate level of GZIP and ZIP (zlib's default, 6)."""
        if compression not in FORMATS and compression not in CHANNEL_FORMATS:
            raise ValueError(f"unknown CompressionFormat {compression!r}")
        self.compression = compression
        self._pending = bytearray()  # input not yet compressed (snappy blocks)
        self._offset = 0  # bytes of output so far (ZIP's central directory needs it)
        self._crc = 0
        self._size = 0
        self._zlib: zlib._Compress | None = None
        self._zip_entry = entry_name
        self._zip_time = time.gmtime((at_ms if at_ms is not None else time.time() * 1000) / 1000)
        self._started = False
        self._finished = False
        if compression == "GZIP":
            self._zlib = zlib.compressobj(level, zlib.DEFLATED, 31)
        elif compression == "ZIP":
            self._zlib = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._zstd = cramjam.zstd.Compressor(3) if compression == "ZSTD" else None

    def feed(self, data: bytes) -> bytes:
        if self._finished:
            raise ValueError("Compressor already finished")
        out = self._start()
        if self.compression == "UNCOMPRESSED":
            out += data
        elif self._zlib is not None:
            self._crc = zlib.crc32(data, self._crc)
            self._size += len(data)
            out += self._zlib.compress(data)
        elif self._zstd is not None:
            self._zstd.compress(data)
            out += bytes(self._zstd.flush())
        else:
            self._pending += data
            out += self._blocks(final=False)
        self._offset += len(out)
        return out

    def finish(self) -> bytes:
        if self._finished:
            return b""
        out = self._start()
        if self._zlib is not None:
            out += self._zlib.flush()
        if self._zstd is not None:
            out += bytes(self._zstd.finish())
        if self.compression in ("Snappy", "HADOOP_SNAPPY"):
            out += self._blocks(final=True)
        if self.compression == "ZIP":
            out += self._zip_trailer(self._offset + len(out))
        self._finished = True
        self._offset += len(out)
        return out

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        if self.compression == "Snappy":
            return SNAPPY_JAVA_MAGIC + _INT.pack(1) + _INT.pack(1)
        if self.compression == "ZIP":
            return self._zip_local_header()
        return b""

    def _blocks(self, *, final: bool) -> bytes:
        size = SNAPPY_JAVA_BLOCK if self.compression == "Snappy" else HADOOP_SNAPPY_BLOCK
        out = bytearray()
        start = 0
        while len(self._pending) - start >= size or (final and start < len(self._pending)):
            block = bytes(self._pending[start : start + size])
            start += len(block)
            packed = _raw_snappy(block)
            if self.compression == "Snappy":
                out += _INT.pack(len(packed)) + packed
            else:
                out += _INT.pack(len(block)) + _INT.pack(len(packed)) + packed
        del self._pending[:start]
        return bytes(out)

    # ZIP: one entry with a data descriptor (flag bit 3), since sizes are known only at the end.
    def _dos_time(self) -> tuple[int, int]:
        t = self._zip_time
        dos_date = (max(t.tm_year, 1980) - 1980) << 9 | t.tm_mon << 5 | t.tm_mday
        dos_time = t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec // 2
        return dos_time, dos_date

    def _zip_local_header(self) -> bytes:
        name = self._zip_entry.encode()
        dos_time, dos_date = self._dos_time()
        return (
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x08, 8, dos_time, dos_date, 0, 0, 0, len(name), 0)
            + name
        )

    def _zip_trailer(self, data_end: int) -> bytes:
        name = self._zip_entry.encode()
        compressed = data_end - 30 - len(name)
        if self._size >= 0xFFFFFFFF or compressed >= 0xFFFFFFFF or data_end >= 0xFFFFFFFF:
            raise ValueError("ZIP objects over 4 GiB need ZIP64, which Firehose's buffer sizes never reach")
        crc = self._crc & 0xFFFFFFFF
        descriptor = struct.pack("<IIII", 0x08074B50, crc, compressed, self._size)
        dos_time, dos_date = self._dos_time()
        central = (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50, 20, 20, 0x08, 8, dos_time, dos_date, crc, compressed, self._size,
                len(name), 0, 0, 0, 0, 0, 0,
            )
            + name
        )  # fmt: skip
        central_at = data_end + len(descriptor)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), central_at, 0)
        return descriptor + central + end


def compress(compression: str, data: bytes, *, entry_name: str = "data", at_ms: int | None = None) -> bytes:
    """One-shot helper: the whole object body for `data`."""
    c = Compressor(compression, entry_name=entry_name, at_ms=at_ms)
    return c.feed(data) + c.finish()
