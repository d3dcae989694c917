"""aws-chunked decoding: botocore's own bodies, AWS's documented signed example, and broken framing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import random
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, CrtCrc32cChecksum, Sha256Checksum

from headwater.protocol.auth.aws_chunked import (
    ChunkedDecoder,
    decoder_for,
    is_aws_chunked,
    stored_content_encoding,
)
from headwater.protocol.auth.s3 import ChunkSigner, identify, signing_key, verify
from headwater.protocol.errors import AwsError

# AWS's worked examples (sigv4-streaming and sigv4-streaming-trailers in the S3 API reference).
DOC_KEY = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1")
DOC_TIME = "20130524T000000Z"
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"
DOC_PAYLOAD = b"a" * 66560
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
DOC_TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_FINAL = "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
DOC_TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
EMPTY = hashlib.sha256(b"").hexdigest()


def encode_signed(
    payload: bytes,
    chunk_size: int,
    seed: str,
    *,
    key: bytes = DOC_KEY,
    timestamp: str = DOC_TIME,
    scope: str = DOC_SCOPE,
    trailers: Sequence[tuple[str, str]] = (),
) -> tuple[bytes, list[str]]:
    """A test-only encoder written from the SigV4 streaming spec; returns the body and chunk signatures."""
    body, signatures, previous = bytearray(), [], seed
    chunks = [payload[i : i + chunk_size] for i in range(0, len(payload), chunk_size)] + [b""]
    for chunk in chunks:
        text = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", timestamp, scope, previous, EMPTY, hashlib.sha256(chunk).hexdigest()]
        )
        previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        signatures.append(previous)
        body += (
            f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + chunk + (b"\r\n" if chunk else b"")
        )
    if trailers:
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers)
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                timestamp,
                scope,
                previous,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        signatures.append(signature)
        body += canonical.replace("\n", "\r\n").encode() + f"x-amz-trailer-signature:{signature}\r\n".encode()
    body += b"\r\n"
    return bytes(body), signatures


def signer(seed: str = DOC_SEED, trailer: bool = False) -> ChunkSigner:
    return ChunkSigner(DOC_KEY, DOC_TIME, DOC_SCOPE, seed, trailer)


def decode(
    decoder: ChunkedDecoder, body: bytes, cuts: Iterable[int] | None = None
) -> tuple[bytes, dict[str, str]]:
    """Feed `body` cut at the given offsets (default: whole) and return the payload and trailers."""
    edges = [0, *sorted(set(cuts or ())), len(body)]
    out = bytearray()
    for start, stop in zip(edges, edges[1:], strict=False):
        for piece in decoder.feed(body[start:stop]):
            assert isinstance(piece, bytes)
            out += piece
    return bytes(out), decoder.finish()


def expect(code: str, decoder: ChunkedDecoder, body: bytes, cuts: Iterable[int] | None = None) -> AwsError:
    with pytest.raises(AwsError) as caught:
        decode(decoder, body, cuts)
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- AWS's documented example ---------------------------------------------------------------------


def test_the_test_encoder_reproduces_the_documented_example() -> None:
    body, signatures = encode_signed(DOC_PAYLOAD, 65536, DOC_SEED)
    assert signatures == DOC_CHUNK_SIGNATURES
    assert len(body) == 66824  # the example's Content-Length
    _, trailer_signatures = encode_signed(
        DOC_PAYLOAD, 65536, DOC_TRAILER_SEED, trailers=[("x-amz-checksum-crc32c", "sOO8/Q==")]
    )
    assert trailer_signatures[-2:] == [DOC_TRAILER_FINAL, DOC_TRAILER_SIGNATURE]


def test_the_documented_signed_upload_decodes() -> None:
    body, _ = encode_signed(DOC_PAYLOAD, 65536, DOC_SEED)
    payload, trailers = decode(ChunkedDecoder(signer(), len(DOC_PAYLOAD), ()), body)
    assert (payload, trailers) == (DOC_PAYLOAD, {})


def test_the_documented_signed_trailer_upload_decodes() -> None:
    crc32c = base64.b64encode(_crc32c(DOC_PAYLOAD)).decode()
    assert crc32c == "sOO8/Q=="
    body, _ = encode_signed(
        DOC_PAYLOAD, 65536, DOC_TRAILER_SEED, trailers=[("x-amz-checksum-crc32c", crc32c)]
    )
    decoder = ChunkedDecoder(signer(DOC_TRAILER_SEED, trailer=True), 66560, ["x-amz-checksum-crc32c"])
    assert decode(decoder, body) == (DOC_PAYLOAD, {"x-amz-checksum-crc32c": crc32c})


def _crc32c(data: bytes) -> bytes:
    checksum = CrtCrc32cChecksum()
    checksum.update(data)
    return checksum.digest()


def test_a_signed_upload_verified_end_to_end_from_the_request_headers() -> None:
    # The request of AWS's example, verified by s3_auth, then its body by the decoder it sets up.
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": DOC_TIME,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": (
            f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{DOC_SCOPE},SignedHeaders=content-encoding;"
            "content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
            f"x-amz-storage-class,Signature={DOC_SEED}"
        ),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
    }
    secrets = {"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}.get
    auth = verify("PUT", "/examplebucket/chunkObject.txt", "", headers, secrets, 1369353600.0)
    assert is_aws_chunked(auth, headers)
    body, _ = encode_signed(DOC_PAYLOAD, 65536, DOC_SEED)
    assert decode(decoder_for(auth, headers), body, cuts=range(7, len(body), 4099)) == (DOC_PAYLOAD, {})


# --- signed framing and signature failures --------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 65536, 200_001])
def test_signed_bodies_of_many_sizes_split_anywhere(size: int) -> None:
    payload = random.Random(size).randbytes(size)
    body, _ = encode_signed(payload, 8192, DOC_SEED)
    rng = random.Random(size + 1)
    cuts = rng.sample(range(1, len(body)), min(40, len(body) - 1))
    assert decode(ChunkedDecoder(signer(), size, ()), body, cuts) == (payload, {})


def test_every_split_point_of_a_small_body() -> None:
    payload = b"hello, chunked world"
    body, _ = encode_signed(payload, 7, DOC_SEED, trailers=[("x-amz-checksum-crc32", "AAAAAA==")])
    for cut in range(1, len(body)):
        decoder = ChunkedDecoder(signer(trailer=True), len(payload), ["x-amz-checksum-crc32"])
        assert decode(decoder, body, [cut]) == (payload, {"x-amz-checksum-crc32": "AAAAAA=="}), cut
    one_byte_at_a_time = ChunkedDecoder(signer(trailer=True), len(payload), ["x-amz-checksum-crc32"])
    assert decode(one_byte_at_a_time, body, range(1, len(body)))[0] == payload


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"\r\naaaaa", b"\r\naaaab"),  # a tampered data byte
        (DOC_CHUNK_SIGNATURES[1].encode(), b"0" * 64),  # a wrong middle signature
        (DOC_CHUNK_SIGNATURES[2].encode(), DOC_CHUNK_SIGNATURES[1].encode()),  # a wrong final signature
        (b";chunk-signature=" + DOC_CHUNK_SIGNATURES[0].encode(), b""),  # no signature
    ],
)
def test_signature_failures(old: bytes, new: bytes) -> None:
    body, _ = encode_signed(DOC_PAYLOAD, 65536, DOC_SEED)
    assert old in body
    error = expect("SignatureDoesNotMatch", ChunkedDecoder(signer(), None, ()), body.replace(old, new, 1))
    assert error.status == 403


def test_chunks_out_of_order_fail() -> None:
    payload = b"A" * 8192 + b"B" * 8192
    body, _ = encode_signed(payload, 8192, DOC_SEED)
    pieces = body.split(b"\r\n")
    swapped = b"\r\n".join([pieces[2], pieces[3], pieces[0], pieces[1], *pieces[4:]])
    expect("SignatureDoesNotMatch", ChunkedDecoder(signer(), None, ()), swapped)


def test_signed_trailer_failures() -> None:
    trailers = [("x-amz-checksum-crc32", "AAAAAA==")]
    body, _ = encode_signed(b"data", 4, DOC_SEED, trailers=trailers)

    def fresh() -> ChunkedDecoder:
        return ChunkedDecoder(signer(trailer=True), 4, ["x-amz-checksum-crc32"])

    expect("SignatureDoesNotMatch", fresh(), body.replace(b"AAAAAA==", b"AAAAAQ=="))
    no_signature = b"\r\n".join(
        line for line in body.split(b"\r\n") if not line.startswith(b"x-amz-trailer-signature")
    )
    expect("SignatureDoesNotMatch", fresh(), no_signature)


# --- unsigned bodies as botocore sends them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("checksum_cls", "name"),
    [
        (Crc32Checksum, "x-amz-checksum-crc32"),
        (CrtCrc32cChecksum, "x-amz-checksum-crc32c"),
        (Sha256Checksum, "x-amz-checksum-sha256"),
    ],
)
@pytest.mark.parametrize(
    ("size", "chunk_size"), [(0, 1024), (5, 1024), (1024, 1024), (100_000, 8192), (300_000, 1 << 20)]
)
def test_botocore_unsigned_trailer_bodies(checksum_cls: Any, name: str, size: int, chunk_size: int) -> None:
    payload = random.Random(size).randbytes(size)
    body = AwsChunkedWrapper(io.BytesIO(payload), checksum_cls, name, chunk_size).read()
    expected = checksum_cls()
    expected.update(payload)
    rng = random.Random(7)
    cuts = [rng.randrange(1, len(body)) for _ in range(20)]
    decoded, trailers = decode(ChunkedDecoder(None, size, [name]), body, cuts)
    assert decoded == payload
    assert trailers == {name: expected.b64digest()}


def test_a_real_boto3_put_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="https://localhost:4566",
        aws_access_key_id="AK",
        aws_secret_access_key="SK",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 0}),
    )
    payload = random.Random(3).randbytes(3 * 1024 * 1024 + 17)
    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def stop(request: Any, **_: Any) -> None:
        seen["headers"] = {
            k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
        }
        seen["body"] = request.body.read()
        raise Stop

    s3.meta.events.register_first("before-send.s3", stop)
    with pytest.raises(Stop):
        s3.put_object(Bucket="b", Key="k", Body=io.BytesIO(payload), ChecksumAlgorithm="SHA256")
    headers, body = seen["headers"], seen["body"]
    auth = identify(headers, {})
    assert is_aws_chunked(auth, headers)
    decoded, trailers = decode(decoder_for(auth, headers), body, range(65536, len(body), 65536))
    assert decoded == payload
    assert trailers == {"x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(payload).digest()).decode()}
    assert stored_content_encoding(headers["content-encoding"]) is None


def test_unsigned_body_without_trailers_and_signatures_ignored_when_unsigned() -> None:
    assert decode(ChunkedDecoder(None, 3, ()), b"3\r\nabc\r\n0\r\n\r\n") == (b"abc", {})
    assert (
        decode(ChunkedDecoder(None, None, ()), b"3;chunk-signature=x\r\nabc\r\n0;chunk-signature=y\r\n\r\n")[
            0
        ]
        == b"abc"
    )
    assert decode(ChunkedDecoder(None, None, ()), b"A\r\n0123456789\r\n0\r\n\r\n")[0] == b"0123456789"


def test_pieces_are_slices_of_the_input_not_copies() -> None:
    decoder = ChunkedDecoder(None, None, ())
    assert decoder.feed(b"100000\r\n") == []
    block = bytes(1 << 16)
    assert decoder.feed(block)[0] is block  # a feed that is all chunk data is passed on as is
    pieces = decoder.feed(bytearray(b"x" * 10))
    assert pieces == [b"x" * 10] and isinstance(pieces[0], bytes)
    assert decoder.decoded_bytes == 1 << 20


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"3\r\nab",  # cut inside data
        b"3\r\nabc\r\n",  # no final chunk
        b"3\r\nabc\r\n0\r\n",  # no final CRLF
        b"3\r\nabcX\r\n0\r\n\r\n",  # data longer than its size
        b"3\r\nabc\n0\r\n\r\n",  # LF without CR after data
        b"zz\r\nabc\r\n0\r\n\r\n",  # not hex
        b"-3\r\nabc\r\n0\r\n\r\n",
        b"0x3\r\nabc\r\n0\r\n\r\n",
        b"3\nabc\r\n0\r\n\r\n",  # size line without CR
        b"3\r\nabc\r\n0\r\n\r\nextra",  # bytes after the end
        b"f" * 5000,  # a size line that never ends
        b"11111111111111111\r\n",  # 17 hex digits
    ],
)
def test_broken_framing_is_incomplete_body(body: bytes) -> None:
    error = expect("IncompleteBody", ChunkedDecoder(None, None, ()), body)
    assert (error.status, error.message) == (400, "The request body terminated unexpectedly")


@pytest.mark.parametrize(("declared", "actual"), [(4, 3), (2, 3), (0, 3)])
def test_decoded_length_mismatch(declared: int, actual: int) -> None:
    body = f"{actual:x}\r\n".encode() + b"a" * actual + b"\r\n0\r\n\r\n"
    error = expect("IncompleteBody", ChunkedDecoder(None, declared, ()), body)
    assert (
        error.message == "You did not provide the number of bytes specified by the Content-Length HTTP header"
    )
    assert error.details["NumberBytesExpected"] == str(declared)


@pytest.mark.parametrize(
    ("declared", "trailer_block"),
    [
        (["x-amz-checksum-crc32"], b""),  # declared, not sent
        ([], b"x-amz-checksum-crc32:AAAAAA==\r\n"),  # sent, not declared
        (["x-amz-checksum-crc32"], b"x-amz-checksum-sha1:AAAAAA==\r\n"),  # another one sent
        (["x-amz-checksum-crc32"], b"x-amz-checksum-crc32AAAAAA==\r\n"),  # no colon
        (["x-amz-checksum-crc32"], b":AAAAAA==\r\n"),  # no name
        (["x-amz-checksum-crc32"], b"x-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n"),  # twice
        (["x-amz-checksum-crc32"], b"x-amz-checksum-crc32:" + b"A" * 5000 + b"\r\n"),  # endless
    ],
)
def test_malformed_trailers(declared: list[str], trailer_block: bytes) -> None:
    body = b"3\r\nabc\r\n0\r\n" + trailer_block + b"\r\n"
    error = expect("MalformedTrailerError", ChunkedDecoder(None, 3, declared), body)
    assert error.message.startswith("The request contained trailing data that was not well-formed")


def test_trailer_names_and_values_are_normalised() -> None:
    body = b"3\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32 :  NhCmhg== \r\n\r\n"
    decoder = ChunkedDecoder(None, 3, [" X-Amz-Checksum-Crc32 ", ""])
    assert decode(decoder, body)[1] == {"x-amz-checksum-crc32": "NhCmhg=="}
    assert base64.b64encode(zlib.crc32(b"hello").to_bytes(4, "big")) == b"NhCmhg=="


def test_decoder_for_reads_the_headers() -> None:
    auth = identify({"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, {})
    headers = {"x-amz-decoded-content-length": "3", "x-amz-trailer": "x-amz-checksum-crc32"}
    body = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    assert decode(decoder_for(auth, headers), body)[1] == {"x-amz-checksum-crc32": "AAAAAA=="}
    with pytest.raises(AwsError) as caught:
        decoder_for(auth, {"x-amz-decoded-content-length": "lots"})
    assert caught.value.code == "InvalidArgument"
    plain = identify({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, {})
    assert not is_aws_chunked(plain, {"content-encoding": "gzip"})
    assert is_aws_chunked(plain, {"content-encoding": "gzip, AWS-Chunked"})


def test_stored_content_encoding() -> None:
    assert stored_content_encoding(None) is None
    assert stored_content_encoding("aws-chunked") is None
    assert stored_content_encoding("gzip,aws-chunked") == "gzip"
    assert stored_content_encoding("aws-chunked, gzip, br") == "gzip, br"
