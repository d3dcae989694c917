"""Process logging: one handler on stderr, text or one JSON object per line, and the libraries kept
quiet unless asked for.

Every line goes through the root logger's one handler, so `--log-format json` covers Headwater's own
lines, the request log (`headwater.requests`) and whatever a library logs in debug mode alike. A
record may carry `fields` (a dict, passed as ``extra={"fields": ...}``): JSON lines put them at the
top level beside the message, text lines ignore them (the message already says it).

The request log writes one line per request, so it may skip the logging machinery: when the setup
is still the one `configure` made (`direct` checks), it hands the handler a finished line
(`Lines.line`: the same text or JSON a record would give, the timestamp's text cached per second).
Those lines are written together once per event-loop turn (one write for every request answered in
that turn); any record the handler emits, from any thread, first writes what is pending, so lines
stay in order, and `flush` (at exit too) writes the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import sys
import time
from typing import Any, TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers of the libraries in the server process: chatty at info (or in their own debug modes), so
# they are held at warning unless the server runs with --log-level debug. granian's own logger is
# switched off or routed here where its server is built (listeners/http/server.py).
LIBRARIES = ("asyncio", "botocore", "urllib3", "granian", "_granian", "multipart", "python_multipart")


def _json_object(created: float, level: str, logger: str, message: str, fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "time": datetime.datetime.fromtimestamp(created, datetime.UTC).isoformat(timespec="milliseconds"),
        "level": level.lower(),
        "logger": logger,
        "message": message,
    }
    if isinstance(fields, dict):
        line.update(fields)
    return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601, milliseconds), level, logger, message, the
    record's `fields`, and `exception` (the whole traceback as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        line = _json_object(record.created, record.levelname, record.name, record.getMessage(), fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


class Lines(logging.StreamHandler[TextIO]):
    """The process's handler: records as any StreamHandler, plus finished lines (`line`), batched."""

    def __init__(self, stream: TextIO, fmt: str) -> None:
        super().__init__(stream)
        self.json = fmt == "json"
        self.setFormatter(JsonFormatter() if self.json else logging.Formatter(TEXT_FORMAT))
        self._pending: list[str] = []
        self._second = -1
        self._stamp = ""  # the text of the current second (local time for text, UTC for JSON)

    def line(self, level: int, logger: str, message: str, fields: dict[str, Any] | None) -> None:
        """Queues the line a record of `logger` at `level` would give (`fields`: JSON lines only);
        it is written at the end of the event loop's turn (at once outside a loop)."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            if self.json:
                self._stamp = datetime.datetime.fromtimestamp(second, datetime.UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S"
                )
            else:
                self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        millis = int((now - second) * 1000)
        name = logging.getLevelName(level)
        if self.json:
            head = {"time": f"{self._stamp}.{millis:03d}+00:00", "level": name.lower(), "logger": logger}
            text = json.dumps({**head, "message": message, **(fields or {})}, default=str)
        else:
            text = f"{self._stamp},{millis:03d} {name} {logger}: {message}"
        with self.lock:  # type: ignore[union-attr]
            self._pending.append(text + "\n")
            if len(self._pending) > 1:
                return  # a write is already scheduled
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:
            self.flush()

    def _write_pending(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            with contextlib.suppress(Exception):  # a failing stream drops lines, as emit's would
                self.stream.write(text)

    def emit(self, record: logging.LogRecord) -> None:
        self._write_pending()  # under the handler's lock (Handler.handle holds it)
        super().emit(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
        super().flush()


def direct(logger: logging.Logger) -> Lines | None:
    """The handler to give `logger`'s finished lines to, when nothing but `configure`'s handler would
    see its records (None otherwise: another handler or a filter, such as pytest's capture)."""
    node: Any = logger
    while node.parent is not None:  # up to the root: no handler, no filter, propagating
        if node.handlers or node.filters or not node.propagate:
            return None
        node = node.parent
    handlers = node.handlers
    if node.filters or len(handlers) != 1:
        return None
    handler = handlers[0]
    if type(handler) is not Lines or handler.filters or handler.level:
        return None
    return handler


def configure(level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Sets up the root logger for the server process (replacing any handler it had)."""
    handler = Lines(stream or sys.stderr, fmt)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Neither format names the thread or process: a record made without looking them up costs less,
    # and the request log makes one per request.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    numeric = getattr(logging, level.upper(), logging.INFO)
    root.setLevel(numeric)
    quiet = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
