"""`--log-format json`: one JSON object per line, with a record's fields and its traceback."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

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


def _configured(fmt: str) -> tuple[io.StringIO, logs.Lines]:
    stream = io.StringIO()
    logs.configure("info", fmt, stream)
    handler = logs.direct(logging.getLogger("headwater.requests"))
    assert handler is not None
    return stream, handler


def _restore(saved: tuple[list[logging.Handler], int]) -> None:
    root = logging.getLogger()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name in logs.LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_finished_lines_read_as_records_do_and_keep_their_order() -> None:
    """The request log's direct lines (`Lines.line`, written once per loop turn) are the lines its
    records would give, and a record logged meanwhile (from any thread) comes after them."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    requests = logging.getLogger("headwater.requests")
    try:
        outputs = {}
        for fmt in ("text", "json"):
            stream, handler = _configured(fmt)

            async def log_both(handler: logs.Lines = handler, stream: io.StringIO = stream) -> None:
                fields = {"status": 200, "ms": 1.25}
                handler.line(logging.INFO, "headwater.requests", "sqs.SendMessage 200 1.2ms", fields)
                requests.info("sqs.SendMessage 200 1.2ms", extra={"fields": fields})
                handler.line(logging.INFO, "headwater.requests", "last", None)
                assert stream.getvalue().count("\n") == 2  # the last line waits for the loop's turn
                await asyncio.sleep(0)

            asyncio.run(log_both())
            outputs[fmt] = stream.getvalue().splitlines()
    finally:
        _restore(saved)
    direct, recorded, last = outputs["text"]
    assert (
        direct.split(" ", 2)[2]
        == recorded.split(" ", 2)[2]
        == "INFO headwater.requests: sqs.SendMessage 200 1.2ms"
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO headwater\.requests: last", last)
    direct_json, recorded_json, _ = (json.loads(line) for line in outputs["json"])
    assert direct_json.keys() == recorded_json.keys()
    assert {**direct_json, "time": ""} == {**recorded_json, "time": ""}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", direct_json["time"])


def test_lines_go_through_records_when_anyone_else_listens() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        _configured("text")
        extra = logging.NullHandler()
        root.addHandler(extra)  # pytest's capture, a second sink: records for all
        assert logs.direct(logging.getLogger("headwater.requests")) is None
        root.removeHandler(extra)
        logging.getLogger("headwater").addFilter(lambda record: True)
        assert logs.direct(logging.getLogger("headwater.requests")) is None
    finally:
        logging.getLogger("headwater").filters.clear()
        _restore(saved)
