"""boto3's managed transfers end to end: upload_file / download_file with multipart and threads
(s3transfer: parallel UploadPart with CRC32 part checksums, then ranged GETs guarded by If-Match),
upload_fileobj / download_fileobj, and boto3 over HTTPS, where it streams uploads as aws-chunked
with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from tests.e2e.support.s3 import MIB, crc32_b64, etag_of, multipart_etag, payload, s3_client
from tests.e2e.support.server import TlsServer, serving

CHUNK = 5 * MIB
CONFIG = TransferConfig(
    multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=4, use_threads=True
)


def record_calls(client: Any) -> list[tuple[str, int, dict[str, Any]]]:
    """(operation, thread id, params) of every call the client makes."""
    calls: list[tuple[str, int, dict[str, Any]]] = []

    def keep(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, threading.get_ident(), {k: v for k, v in params.items() if k != "Body"}))

    client.meta.events.register("provide-client-params.s3.*", keep)
    return calls


def test_upload_file_and_download_file_multipart_threaded(s3: Any, tmp_path: Path) -> None:
    s3.create_bucket(Bucket="transfers")
    data = payload(4 * CHUNK, seed=21)  # 20 MiB: four parts
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    calls = record_calls(s3)
    s3.upload_file(
        str(source), "transfers", "big/file.bin", Config=CONFIG, ExtraArgs={"Metadata": {"via": "s3transfer"}}
    )
    parts = [c for c in calls if c[0] == "UploadPart"]
    assert sorted(p[2]["PartNumber"] for p in parts) == [1, 2, 3, 4]
    assert len({p[1] for p in parts}) > 1, "parts were not uploaded from several threads"

    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    head = s3.head_object(Bucket="transfers", Key="big/file.bin", ChecksumMode="ENABLED")
    assert head["ETag"] == multipart_etag(chunks)
    assert head["ContentLength"] == len(data)
    assert head["Metadata"] == {"via": "s3transfer"}
    # s3transfer asks for CRC32 part checksums: the object's checksum is composite
    composite = zlib.crc32(b"".join(zlib.crc32(c).to_bytes(4, "big") for c in chunks)).to_bytes(4, "big")
    assert head["ChecksumCRC32"] == base64.b64encode(composite).decode() + "-4"

    calls.clear()
    target = tmp_path / "target.bin"
    s3.download_file("transfers", "big/file.bin", str(target), Config=CONFIG)
    ranges = sorted(c[2]["Range"] for c in calls if c[0] == "GetObject")
    assert len(ranges) == 4 and all(r.startswith("bytes=") for r in ranges)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_fileobj_transfers_below_the_threshold(s3: Any) -> None:
    s3.create_bucket(Bucket="transfers")
    data = payload(300_000, seed=22)
    calls = record_calls(s3)
    s3.upload_fileobj(
        io.BytesIO(data),
        "transfers",
        "small.bin",
        Config=CONFIG,
        ExtraArgs={"ContentType": "application/x-small"},
    )
    assert [c[0] for c in calls] == ["PutObject"]
    out = io.BytesIO()
    s3.download_fileobj("transfers", "small.bin", out, Config=CONFIG)
    assert out.getvalue() == data
    head = s3.head_object(Bucket="transfers", Key="small.bin")
    assert (head["ETag"], head["ContentType"]) == (etag_of(data), "application/x-small")


@pytest.fixture(scope="module")
def https_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with serving(
        tmp_path_factory, "s3tls", "--durability fast --limits off --test-mode on --tls on", kind=TlsServer
    ) as running:
        client = s3_client(running.endpoint, verify=False)
        client.create_bucket(Bucket="secure")
        yield client


def test_https_uploads_stream_aws_chunked_with_a_checksum_trailer(https_s3: Any, tmp_path: Path) -> None:
    sent: list[dict[str, str]] = []

    def keep(request: Any, **_: Any) -> None:
        sent.append(
            {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    https_s3.meta.events.register("before-send.s3.PutObject", keep)
    body = payload(2 * MIB + 5, seed=23)
    put = https_s3.put_object(Bucket="secure", Key="chunked", Body=body)
    assert sent[0]["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert sent[0]["content-encoding"] == "aws-chunked"
    assert sent[0]["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert put["ETag"] == etag_of(body)
    assert put["ChecksumCRC32"] == crc32_b64(body)
    got = https_s3.get_object(Bucket="secure", Key="chunked", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(body)
    assert "ContentEncoding" not in got  # aws-chunked is a transfer detail, not stored
    assert got["Body"].read() == body
    # and a threaded multipart upload over HTTPS (parts as aws-chunked too)
    data = payload(2 * CHUNK + 1000, seed=24)
    source = tmp_path / "tls.bin"
    source.write_bytes(data)
    https_s3.upload_file(str(source), "secure", "tls.bin", Config=CONFIG)
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    assert https_s3.head_object(Bucket="secure", Key="tls.bin")["ETag"] == multipart_etag(chunks)
    out = io.BytesIO()
    https_s3.download_fileobj("secure", "tls.bin", out, Config=CONFIG)
    assert out.getvalue() == data
