"""The built-in processing stages on plain records: decompression, CloudWatch Logs message
extraction, JSON/DELIMITED/KPL de-aggregation and the delimiter."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json

from hypothesis import given
from hypothesis import strategies as st

from headwater.protocol import kpl as kpl_format
from headwater.services.firehose.processing import cloudwatch, deaggregation, decompression, delimiter
from headwater.services.firehose.records import KinesisMetadata, Record


def rec(data: bytes, rid: str = "r1") -> Record:
    return Record(rid, data, 1_000)


def cw_document(kind: str = "DATA_MESSAGE", messages: tuple[str, ...] = ("one", "two")) -> bytes:
    return json.dumps(
        {
            "messageType": kind,
            "owner": "123456789012",
            "logGroup": "/aws/lambda/f",
            "logStream": "s",
            "subscriptionFilters": ["f"],
            "logEvents": [{"id": str(i), "timestamp": 1, "message": m} for i, m in enumerate(messages)],
        }
    ).encode()


def test_decompression_gunzips_and_fails_bad_records() -> None:
    out = decompression.process(
        [rec(gzip.compress(b"payload")), rec(b"not gzip", "r2")], {"CompressionFormat": "GZIP"}
    )
    assert [r.data for r in out.records] == [b"payload"]
    (failure,) = out.failures
    assert failure.record.data == b"not gzip"
    assert failure.error_output_type == "decompression-failed"
    truncated = gzip.compress(b"x" * 1000)[:-10]
    assert asyncio.run(decompression.apply([rec(truncated)], {})).failures


def test_message_extraction() -> None:
    records = [rec(cw_document(), "a"), rec(cw_document("CONTROL_MESSAGE", ("CWL CONTROL MESSAGE",)), "b")]
    out = cloudwatch.process(records, {"DataMessageExtraction": "true"})
    assert [(r.record_id, r.data) for r in out.records] == [("a.0", b"one\n"), ("a.1", b"two\n")]
    assert not out.failures
    assert cloudwatch.process(records, {"DataMessageExtraction": "false"}).records == records
    bad = cloudwatch.process([rec(b"{}"), rec(b"\xff"), rec(b"[1]")], {"DataMessageExtraction": "true"})
    assert not bad.records
    assert [f.error_output_type for f in bad.failures] == ["processing-failed"] * 3


def test_decompression_then_extraction() -> None:
    out = decompression.process([rec(gzip.compress(cw_document(messages=("m",))))], {})
    assert (
        asyncio.run(cloudwatch.apply(out.records, {"DataMessageExtraction": "true"})).records[0].data
        == b"m\n"
    )


def test_json_deaggregation_keeps_each_value_exactly() -> None:
    data = b'{"a": 1}{"b":[1,2]}\n  {"c":"}{"}\n'
    out = deaggregation.process([rec(data)], {"SubRecordType": "JSON"})
    assert [r.data for r in out.records] == [b'{"a": 1}', b'{"b":[1,2]}', b'{"c":"}{"}']
    assert [r.record_id for r in out.records] == ["r1.0", "r1.1", "r1.2"]
    bad = deaggregation.process([rec(b'{"a":1}{"b"'), rec(b"\xff")], {"SubRecordType": "JSON"})
    assert not bad.records
    assert [f.error_output_type for f in bad.failures] == ["processing-failed"] * 2


def test_delimited_deaggregation() -> None:
    params = {"SubRecordType": "DELIMITED", "Delimiter": base64.b64encode(b"||").decode()}
    out = asyncio.run(deaggregation.apply([rec(b"a||b||||c||")], params))
    assert [r.data for r in out.records] == [b"a", b"b", b"c"]
    newline = deaggregation.process([rec(b"x\ny\n")], {"SubRecordType": "DELIMITED"})
    assert [r.data for r in newline.records] == [b"x", b"y"]


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), max_size=6
    )
)
def test_json_split_round_trip(objects: list[dict[str, object]]) -> None:
    data = b"".join(json.dumps(o).encode() for o in objects)
    assert [json.loads(p) for p in deaggregation.split_json(data)] == objects


def test_kpl_deaggregation() -> None:
    meta = KinesisMetadata("shardId-000000000000", "outer", "4961", 0, 1_000)
    blob = kpl_format.encode([kpl_format.UserRecord("p1", b"x"), kpl_format.UserRecord("p2", b"y")])
    out = deaggregation.kpl([Record("r1", blob, 1_000, meta), Record("r2", b"plain", 1_000, meta)])
    assert [(r.record_id, r.data) for r in out.records] == [("r1.0", b"x"), ("r1.1", b"y"), ("r2", b"plain")]
    assert [(r.kinesis.partition_key, r.kinesis.subsequence_number) for r in out.records if r.kinesis] == [
        ("p1", 0),
        ("p2", 1),
        ("outer", 0),
    ]


def test_append_delimiter() -> None:
    out = delimiter.process([rec(b"a"), rec(b"b")], {})
    assert b"".join(r.data for r in out.records) == b"a\nb\n"
    custom = asyncio.run(delimiter.apply([rec(b"a")], {"Delimiter": base64.b64encode(b"\r\n").decode()}))
    assert custom.records[0].data == b"a\r\n"
