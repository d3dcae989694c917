"""Process logging: one handler on stderr, text or one JSON object per line, and the libraries kept
quiet unless asked for.

Every line goes through the root logger's one handler, so `--log-format json` covers Headwater's own
lines, the request log (`headwater.requests`) and whatever a library logs in debug mode alike. A
record may carry `fields` (a dict, passed as ``extra={"fields": ...}``): JSON lines put them at the
top level beside the message, text lines ignore them (the message already says it).
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from typing import Any, TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers of the libraries in the server process: chatty at info (or in their own debug modes), so
# they are held at warning unless the server runs with --log-level debug. granian's own logger is
# switched off or routed here where its server is built (listeners/http/server.py).
LIBRARIES = ("asyncio", "botocore", "urllib3", "granian", "_granian", "multipart", "python_multipart")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601, milliseconds), level, logger, message, the
    record's `fields`, and `exception` (the whole traceback as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def configure(level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Sets up the root logger for the server process (replacing any handler it had)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
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
