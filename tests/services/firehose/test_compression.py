"""Compressed object bodies, decoded by independent readers (gzip, zipfile, cramjam's raw snappy
behind a test-side reader of each framing) and checked against hand-made byte vectors."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headwater.services.firehose.compression import FORMATS, Compressor, compress, content_encoding


def read_snappy_java(body: bytes) -> bytes:
    assert body[:8] == b"\x82SNAPPY\x00"
    assert struct.unpack(">ii", body[8:16]) == (1, 1)
    out, pos = bytearray(), 16
    while pos < len(body):
        (length,) = struct.unpack(">i", body[pos : pos + 4])
        out += bytes(cramjam.snappy.decompress_raw(body[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return bytes(out)


def read_hadoop_snappy(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while pos < len(body):
        (raw_length,) = struct.unpack(">i", body[pos : pos + 4])
        pos += 4
        block = bytearray()
        while len(block) < raw_length:
            (length,) = struct.unpack(">i", body[pos : pos + 4])
            block += bytes(cramjam.snappy.decompress_raw(body[pos + 4 : pos + 4 + length]))
            pos += 4 + length
        assert len(block) == raw_length
        out += block
    return bytes(out)


def decode(fmt: str, body: bytes) -> bytes:
    if fmt == "UNCOMPRESSED":
        return body
    if fmt == "GZIP":
        return gzip.decompress(body)
    if fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            assert z.testzip() is None
            (name,) = z.namelist()
            return z.read(name)
    if fmt == "Snappy":
        return read_snappy_java(body)
    return read_hadoop_snappy(body)


def streamed(fmt: str, pieces: list[bytes], **kw: object) -> bytes:
    c = Compressor(fmt, **kw)  # type: ignore[arg-type]
    out = b"".join(c.feed(p) for p in pieces)
    return out + c.finish()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_large_streamed(fmt: str) -> None:
    pieces = [bytes([i % 251]) * (1000 + i * 37) for i in range(400)] + [b"", b"tail"]
    body = streamed(fmt, pieces)
    assert decode(fmt, body) == b"".join(pieces)


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_object(fmt: str) -> None:
    assert decode(fmt, compress(fmt, b"")) == b""


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(FORMATS), pieces=st.lists(st.binary(max_size=3000), max_size=12))
def test_round_trip_property(fmt: str, pieces: list[bytes]) -> None:
    assert decode(fmt, streamed(fmt, pieces)) == b"".join(pieces)


def test_known_vectors() -> None:
    # raw snappy of b"hello": varint length 5, literal tag (5-1)<<2, the bytes
    raw = b"\x05\x10hello"
    assert (
        compress("Snappy", b"hello")
        == b"\x82SNAPPY\x00" + b"\x00\x00\x00\x01" * 2 + b"\x00\x00\x00\x07" + raw
    )
    assert compress("HADOOP_SNAPPY", b"hello") == b"\x00\x00\x00\x05\x00\x00\x00\x07" + raw
    assert compress("Snappy", b"") == b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01"
    assert compress("HADOOP_SNAPPY", b"") == b""
    assert compress("UNCOMPRESSED", b"abc") == b"abc"
    assert compress("GZIP", b"abc")[:3] == b"\x1f\x8b\x08"


def test_snappy_java_published_vector() -> None:
    # snappy-java's SnappyOutputStream writing "foobar\n", as a hexdump published with a reader of it
    expected = bytes.fromhex("82534e41505059000000000100000001000000090718666f6f6261720a")
    assert compress("Snappy", b"foobar\n") == expected


def test_hadoop_snappy_with_python_snappy() -> None:
    snappy = pytest.importorskip("snappy", reason="python-snappy (a test dependency) is not installed")
    data = bytes(range(256)) * 3000 + b"tail"  # three 256 KiB blocks
    assert snappy.snappy.HadoopStreamDecompressor().decompress(compress("HADOOP_SNAPPY", data)) == data


def test_snappy_block_sizes() -> None:
    data = bytes(range(256)) * 512  # 128 KiB
    body = compress("Snappy", data)
    pos, blocks = 16, 0
    while pos < len(body):
        (length,) = struct.unpack(">i", body[pos : pos + 4])
        assert len(cramjam.snappy.decompress_raw(body[pos + 4 : pos + 4 + length])) == 32 * 1024
        pos += 4 + length
        blocks += 1
    assert blocks == 4
    hadoop = compress("HADOOP_SNAPPY", data * 3)  # 384 KiB: one full 256 KiB block, then the rest
    assert struct.unpack(">i", hadoop[:4])[0] == 256 * 1024


def test_zip_entry_name_and_time() -> None:
    body = compress("ZIP", b"x" * 10, entry_name="stream-1-2018-08-27-10-30-00-abc", at_ms=1535365800000)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        info = z.infolist()[0]
        assert info.filename == "stream-1-2018-08-27-10-30-00-abc"
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2018, 8, 27, 10, 30, 0)


def test_feed_after_finish_and_unknown_format() -> None:
    c = Compressor("GZIP")
    c.finish()
    assert c.finish() == b""
    with pytest.raises(ValueError):
        c.feed(b"x")
    with pytest.raises(ValueError):
        Compressor("LZ4")


def test_no_content_encoding() -> None:
    assert all(content_encoding(f) is None for f in FORMATS)
