"""A streaming reader of a browser POST upload's multipart/form-data body.

The fields come first and are small: they are collected (at most 20 KiB of them, as S3 allows)
until the part named "file" begins. Its content is then handed out chunk by chunk as the request
body arrives, never gathered whole; whatever follows the file is read and ignored, as S3 does.
`python-multipart` does the parsing; it calls back synchronously from `feed`, so the file's bytes
are queued here between two reads of the request body.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import s3_error

MAX_FIELDS_BYTES = 20 * 1024  # S3's MaxPostPreDataLengthBytes


def malformed() -> AwsError:
    return s3_error(
        "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
    )


def boundary_of(content_type: str) -> bytes:
    """The boundary of a multipart/form-data content type; S3's 412 for any other enclosure."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise s3_error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            Condition="Bucket POST must be of the enclosure-type multipart/form-data",
        )
    return boundary


class PostForm:
    """Feed it the request body; `fields` (first value of each name wins) are complete once
    `file_started`; then iterate `file()` for the file's content."""

    def __init__(self, boundary: bytes, body: AsyncIterable[bytes]) -> None:
        self.fields: dict[str, str] = {}
        self.file_started = False
        self.file_done = False
        self.filename: str | None = None
        self.file_content_type: str | None = None
        self._body: AsyncIterator[bytes] = aiter(body)
        self._ended = False
        self._chunks: deque[bytes] = deque()
        self._fields_bytes = 0
        self._in_file = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._value = bytearray()
        self._name = ""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
                "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    # -- reading ----------------------------------------------------------------------------------

    async def read_fields(self) -> None:
        """Reads until the file part starts (or the body ends: no file at all)."""
        while not self.file_started and await self._read():
            pass

    async def file(self) -> AsyncIterator[bytes]:
        """The file's content, as it arrives. MalformedPOSTRequest if the body ends inside it."""
        while True:
            while self._chunks:
                yield self._chunks.popleft()
            if self.file_done:
                return
            if not await self._read():
                raise malformed()

    async def drain(self) -> None:
        """Reads (and ignores) what follows the file."""
        while await self._read():
            pass

    async def _read(self) -> bool:
        if self._ended:
            return False
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            self._ended = True
            return False
        try:
            self._parser.write(chunk)
        except FormParserError:
            raise malformed() from None
        return True

    # -- parser callbacks -------------------------------------------------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        # latin-1 keeps the raw bytes: a filename is UTF-8, decoded once parsed out
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        if self.file_started:
            return
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = options.get(b"name", b"").decode("latin-1")
        if self._name.lower() == "file":
            self.file_started = self._in_file = True
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
            self.file_content_type = self._headers.get("content-type")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._chunks.append(data[start:end])
        elif not self.file_started:
            self._fields_bytes += end - start
            if self._fields_bytes > MAX_FIELDS_BYTES:
                raise s3_error(
                    "MaxPostPreDataLengthExceeded",
                    "Your POST request fields preceeding the upload file was too large.",
                    MaxPostPreDataLengthBytes=str(MAX_FIELDS_BYTES),
                )
            self._value.extend(data[start:end])

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.file_done = True
        elif not self.file_started:
            self.fields.setdefault(self._name, self._value.decode("utf-8", "replace"))
