"""Incremental decoder for ``Content-Encoding: aws-chunked`` request bodies.

Theory of operation. The body is HTTP/1.1 chunked framing inside the HTTP body::

    hex-size[;chunk-signature=sig] CRLF data CRLF ... 0[;chunk-signature=sig] CRLF
    [name:value CRLF ...] [x-amz-trailer-signature:sig CRLF] CRLF

A small state machine consumes whatever the transport hands over, split anywhere (inside a size
line, between CR and LF): size and trailer lines are found with ``bytes.find`` and only a line cut by
the end of a feed is buffered; chunk data is passed on as slices of the input (the whole input when
it is all data), so feeding 1 MiB costs a few slices, not a loop over bytes.

Signed modes (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) chain every chunk's signature to the
previous one, starting from the request's seed signature (see :class:`s3_auth.ChunkSigner`); the
trailer block is signed over its canonical ``name:value\\n`` lines. Decoded pieces are returned as
they arrive, before their chunk's signature (which comes first but covers the data after it) can be
checked: a caller must treat everything it received as unverified until :meth:`finish` returns, and
discard it on any error.

Errors are S3's: broken framing or a body cut short is ``IncompleteBody``; a total that differs from
``x-amz-decoded-content-length`` is ``IncompleteBody`` with the byte counts; a bad signature is
``SignatureDoesNotMatch``; trailers that do not match ``x-amz-trailer`` are ``MalformedTrailerError``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping

from headwater.protocol.auth.s3 import SIGNATURE_MISMATCH, ChunkSigner, S3Auth, s3_error
from headwater.protocol.errors import AwsError

_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)
_MAX_LINE = 4096  # a size line is ~90 bytes, a trailer line ~100; refuse to buffer junk forever
_MAX_TRAILERS = 16
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")
_SIGNATURE_EXT = b"chunk-signature="
_TRUNCATED = "The request body terminated unexpectedly"
_MALFORMED_TRAILER = (
    "The request contained trailing data that was not well-formed or did not conform to our published schema."
)


class ChunkedDecoder:
    """Decodes one aws-chunked body; see the module docstring for the contract."""

    __slots__ = (
        "_signer",
        "_expected",
        "_trailer_names",
        "_state",
        "_line",
        "_remaining",
        "_crlf",
        "_hash",
        "_signature",
        "_previous",
        "_total",
        "_trailers",
        "_trailer_signature",
    )

    def __init__(
        self, signer: ChunkSigner | None, decoded_length: int | None, trailer_names: Collection[str]
    ) -> None:
        self._signer = signer
        self._expected = decoded_length
        self._trailer_names = frozenset(n.strip().lower() for n in trailer_names if n.strip())
        self._state = _SIZE
        self._line = bytearray()  # a size or trailer line cut by the end of a feed
        self._remaining = 0  # data bytes of the current chunk still to come
        self._crlf = 0  # bytes of the CRLF after chunk data already seen
        self._hash: hashlib._Hash | None = None  # of the current chunk, in signed mode
        self._signature = ""  # the current chunk's declared signature
        self._previous = signer.seed if signer else ""
        self._total = 0
        self._trailers: dict[str, str] = {}
        self._trailer_signature: str | None = None

    @property
    def decoded_bytes(self) -> int:
        """Payload bytes announced so far (chunk sizes seen), for progress and limits."""
        return self._total

    def feed(self, data: bytes) -> list[bytes]:
        """Decode the next piece of the body; return the payload bytes it completed, in order."""
        if not isinstance(data, bytes):
            data = bytes(data)  # a caller's bytearray could change under the slices we hand back
        out: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state == _DATA:
                take = min(self._remaining, end - pos)
                piece = data if take == end else data[pos : pos + take]
                out.append(piece)
                if self._hash is not None:
                    self._hash.update(piece)
                self._remaining -= take
                pos += take
                if not self._remaining:
                    self._state = _DATA_END
            elif state == _DATA_END:
                while self._crlf < 2 and pos < end:
                    if data[pos] != b"\r\n"[self._crlf]:
                        raise _incomplete()
                    self._crlf += 1
                    pos += 1
                if self._crlf == 2:
                    self._crlf = 0
                    self._end_chunk()
                    self._state = _SIZE
            elif state == _DONE:
                raise _incomplete()  # bytes after the final CRLF
            else:
                newline = data.find(b"\n", pos)
                if newline < 0:
                    self._line += data[pos:]
                    if len(self._line) > _MAX_LINE:
                        raise _incomplete() if state == _SIZE else _malformed_trailer()
                    break
                if self._line:
                    self._line += data[pos : newline + 1]
                    line = bytes(self._line)
                    self._line.clear()
                else:
                    line = data[pos : newline + 1]
                pos = newline + 1
                if len(line) < 2 or line[-2] != 13 or len(line) > _MAX_LINE:
                    raise _incomplete() if state == _SIZE else _malformed_trailer()
                if state == _SIZE:
                    self._size_line(line[:-2])
                else:
                    self._trailer_line(line[:-2])
        return out

    def finish(self) -> dict[str, str]:
        """At the end of the body: the trailers (lower-case names, no signature); raise if incomplete."""
        if self._state != _DONE:
            raise _incomplete()
        return dict(self._trailers)

    def _size_line(self, line: bytes) -> None:
        size_text, _, extension = line.partition(b";")
        size_text = size_text.strip()
        if not _HEX.fullmatch(size_text):
            raise _incomplete()
        size = int(size_text, 16)
        if self._signer is not None:
            extension = extension.strip()
            if not extension.startswith(_SIGNATURE_EXT):
                raise _mismatch()
            self._signature = extension[len(_SIGNATURE_EXT) :].decode("ascii", "replace")
            self._hash = hashlib.sha256()
        self._total += size
        if self._expected is not None and self._total > self._expected:
            raise _length_mismatch(self._expected, self._total)
        if size:
            self._remaining = size
            self._state = _DATA
        else:
            self._end_chunk()
            self._state = _TRAILER

    def _end_chunk(self) -> None:
        if self._signer is None or self._hash is None:
            return
        expected = self._signer.chunk_signature(self._previous, self._hash.hexdigest())
        if not hmac.compare_digest(expected.encode(), self._signature.encode()):
            raise _mismatch()
        self._previous = expected

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self._end_trailers()
            self._state = _DONE
            return
        name, colon, value = line.partition(b":")
        name = name.strip()
        if not colon or not name or len(self._trailers) >= _MAX_TRAILERS:
            raise _malformed_trailer()
        key = name.decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        if key == "x-amz-trailer-signature":
            self._trailer_signature = text
        elif key in self._trailers:
            raise _malformed_trailer()
        else:
            self._trailers[key] = text

    def _end_trailers(self) -> None:
        if self._expected is not None and self._total != self._expected:
            raise _length_mismatch(self._expected, self._total)
        if self._trailers.keys() != self._trailer_names:
            raise _malformed_trailer()
        signer = self._signer
        if signer is None or not signer.trailer or not self._trailers:
            return
        if self._trailer_signature is None:
            raise _mismatch()
        canonical = "".join(f"{name}:{value}\n" for name, value in self._trailers.items())
        expected = signer.trailer_signature(self._previous, canonical.encode("latin-1"))
        if not hmac.compare_digest(expected.encode(), self._trailer_signature.encode("latin-1")):
            raise _mismatch()


def is_aws_chunked(auth: S3Auth, headers: Mapping[str, str]) -> bool:
    """Whether the body needs decoding: a STREAMING-* payload, or aws-chunked declared without one
    (some SDKs send aws-chunked bodies with UNSIGNED-PAYLOAD)."""
    return auth.streaming or "aws-chunked" in headers.get("content-encoding", "").lower()


def decoder_for(auth: S3Auth, headers: Mapping[str, str]) -> ChunkedDecoder:
    """A decoder set up from the request: decoded length, declared trailers, the signature chain."""
    length_text = headers.get("x-amz-decoded-content-length")
    decoded_length = None
    if length_text is not None:
        if not length_text.strip().isdigit():
            raise s3_error(
                "InvalidArgument",
                "Invalid value for x-amz-decoded-content-length",
                details={"ArgumentName": "x-amz-decoded-content-length", "ArgumentValue": length_text},
            )
        decoded_length = int(length_text)
    trailer_names = headers.get("x-amz-trailer", "").split(",")
    return ChunkedDecoder(auth.chunk_signer, decoded_length, trailer_names)


def stored_content_encoding(value: str | None) -> str | None:
    """Content-Encoding as S3 stores it: without the transfer-only ``aws-chunked`` token."""
    if value is None:
        return None
    kept = [token.strip() for token in value.split(",") if token.strip().lower() not in ("aws-chunked", "")]
    return ", ".join(kept) or None


def _incomplete() -> AwsError:
    return s3_error("IncompleteBody", _TRUNCATED)


def _length_mismatch(expected: int, provided: int) -> AwsError:
    return s3_error(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        details={"NumberBytesExpected": str(expected), "NumberBytesProvided": str(provided)},
    )


def _mismatch() -> AwsError:
    return s3_error("SignatureDoesNotMatch", SIGNATURE_MISMATCH, 403)


def _malformed_trailer() -> AwsError:
    return s3_error("MalformedTrailerError", _MALFORMED_TRAILER)
