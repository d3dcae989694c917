"""pyiceberg's FileIO over Headwater's own S3 (the `ObjectSink`/`ObjectSource` ports), for the
Iceberg destination's writer thread.

Theory of operation
-------------------
pyiceberg is blocking, so the destination runs it on a thread of its own; the ports are coroutines
of the event loop. `LoopBridge.call` hands a coroutine to the loop (`run_coroutine_threadsafe`) and
blocks the thread until it is done, never the loop. Every pending call is remembered, so `close`
(the worker stopping, the server shutting down) cancels them and the thread sees `BridgeClosed` at
once instead of waiting on a loop that is going away. Files are read whole into memory (data files
are one buffer's worth, metadata files small) and written whole when their stream closes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlparse

from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile, OutputStream

from headwater.services.ports import ObjectSink, ObjectSource, ObjectSourceError

T = TypeVar("T")
CALL_TIMEOUT = 300.0  # a port call never takes this long; a stuck one must not pin the thread


class BridgeClosed(Exception):
    """The destination stopped while its thread was waiting on the loop."""


class LoopBridge:
    """Runs coroutines on the event loop for a thread that must wait for them."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None  # bound by the first delivery
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        with self._lock:
            if self._closed or self.loop is None:
                raise BridgeClosed("the Iceberg destination is stopping")
            future = asyncio.run_coroutine_threadsafe(make(), self.loop)
            self._pending.add(future)
        try:
            return future.result(CALL_TIMEOUT)
        except concurrent.futures.CancelledError:
            raise BridgeClosed("the Iceberg destination is stopping") from None
        finally:
            with self._lock:
                self._pending.discard(future)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending), set()
        for future in pending:
            future.cancel()


def split(location: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// (or s3a://, s3n://) location."""
    parsed = urlparse(location)
    if parsed.scheme not in ("s3", "s3a", "s3n") or not parsed.netloc:
        raise ValueError(f"not an S3 location: {location}")
    return parsed.netloc, parsed.path.lstrip("/")


class _Input(InputFile):
    def __init__(self, owner: HeadwaterFileIO, location: str) -> None:
        super().__init__(location)
        self._owner = owner
        self._data: bytes | None = None

    def _read(self) -> bytes:
        if self._data is None:
            self._data = self._owner.read(self.location)
        return self._data

    def __len__(self) -> int:
        return len(self._read())

    def exists(self) -> bool:
        try:
            self._read()
        except FileNotFoundError:
            return False
        return True

    def open(self, seekable: bool = True) -> InputStream:
        return io.BytesIO(self._read())


class _Sink(io.BytesIO):
    """Collects a file's bytes; closing it stores the object."""

    def __init__(self, on_close: Callable[[bytes], None]) -> None:
        super().__init__()
        self._on_close = on_close
        self._stored = False

    def close(self) -> None:
        if not self._stored and not self.closed:
            self._stored = True
            self._on_close(self.getvalue())
        super().close()


class _Output(OutputFile):
    def __init__(self, owner: HeadwaterFileIO, location: str) -> None:
        super().__init__(location)
        self._owner = owner
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def exists(self) -> bool:
        return self.to_input_file().exists()

    def to_input_file(self) -> InputFile:
        return _Input(self._owner, self.location)

    def create(self, overwrite: bool = False) -> OutputStream:
        if not overwrite and self.exists():
            raise FileExistsError(f"{self.location} already exists")

        def store(data: bytes) -> None:
            self._size = len(data)
            self._owner.write(self.location, data)

        return _Sink(store)


class HeadwaterFileIO(FileIO):
    """Iceberg files as objects of the stream's account in Headwater's S3."""

    def __init__(
        self, bridge: LoopBridge, account: str, sink: ObjectSink, source: ObjectSource | None
    ) -> None:
        super().__init__({})
        self.bridge = bridge
        self.account = account
        self.sink = sink
        self.source = source

    def read(self, location: str) -> bytes:
        bucket, key = split(location)
        if self.source is None:
            raise FileNotFoundError(location)
        source = self.source
        try:
            return self.bridge.call(lambda: source.read_object(self.account, bucket, key))
        except ObjectSourceError as error:
            if error.code in ("NoSuchKey", "NoSuchBucket"):
                raise FileNotFoundError(f"{location}: {error.message}") from None
            raise OSError(f"{location}: {error.code}: {error.message}") from None

    def write(self, location: str, data: bytes) -> None:
        bucket, key = split(location)
        try:
            self.bridge.call(lambda: self.sink.put(self.account, bucket, key, data))
        except ObjectSourceError as error:
            raise OSError(f"{location}: {error.code}: {error.message}") from None

    def new_input(self, location: str) -> InputFile:
        return _Input(self, location)

    def new_output(self, location: str) -> OutputFile:
        return _Output(self, location)

    def delete(self, location: str | InputFile | OutputFile) -> None:
        """Unused by appends and commits (old metadata is kept, as pyiceberg's default says)."""
