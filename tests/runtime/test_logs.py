"""`--log-format json`: one JSON object per line, with a record's fields and its traceback."""

from __future__ import annotations

import io
import json
import logging

from headwater.runtime import logs


def test_json_lines_carry_fields_and_tracebacks() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure("info", "json", stream)
        logging.getLogger("headwater.requests").info("kms.CreateKey 200", extra={"fields": {"status": 200}})
        try:
            raise ValueError("bad")
        except ValueError:
            logging.getLogger("headwater.x").exception("internal failure in request r1")
        logging.getLogger("botocore.hooks").info("library noise")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name in logs.LIBRARIES:
            logging.getLogger(name).setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2  # botocore's info line stays out at info
    assert lines[0]["logger"] == "headwater.requests" and lines[0]["status"] == 200
    assert lines[0]["level"] == "info" and lines[0]["message"] == "kms.CreateKey 200"
    assert lines[1]["message"] == "internal failure in request r1"
    assert "ValueError: bad" in lines[1]["exception"]
