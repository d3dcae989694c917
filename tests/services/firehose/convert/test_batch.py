"""The batch conversion path (`RowReader.columns`) against the per-record one: the same rows and
the same failures whatever the batch holds."""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq
import pytest

from headwater.services.firehose.convert import reading
from headwater.services.firehose.convert.converter import Converter
from tests.services.firehose.convert.test_converter import FULL, config, records, table

SIMPLE = (("id", "bigint"), ("name", "string"), ("score", "double"), ("ok", "boolean"), ("small", "tinyint"))
BATCHES: list[list[Any]] = [
    [{"id": i, "name": f"n{i}", "score": i * 0.5, "ok": i % 2 == 0, "small": i} for i in range(50)],
    [{"ID": 1, "Name": "upper"}, {"id": 2, "name": "lower"}],  # two spellings of one column
    [{"id": 1, "Id": 2}, {"id": 3}],  # keys colliding once lower-cased: the last wins
    [{"id": "12", "score": "1.5", "ok": "true", "small": 3}],  # OpenX's lenient strings
    [{"id": 1, "small": 300}],  # out of a tinyint's range
    [{"id": 1}, b"not json", {"id": 2}],
    [{"id": 1}, b'{"id": 2} {"id": 3}'],  # two objects in one record
    [{"id": 1}, b"[1, 2]", {"id": 2, "name": None}],
    [{"id": 2**70}],
    [{"name": {"nested": [1, 2]}, "score": 2}],
]


def _convert(converter: Converter, batch: list[Any]) -> tuple[Any, list[tuple[str, str, str]]]:
    body, failures = converter.convert(records(*batch))
    rows = pq.read_table(io.BytesIO(body)).to_pylist() if body else []
    return rows, [(f.record.record_id, f.error_code, f.error_message) for f in failures]


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("serde", [{"OpenXJsonSerDe": {}}, {"HiveJsonSerDe": {}}])
def test_batch_path_matches_the_record_path(
    batch: list[Any], serde: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    converter = Converter(config(serde), table(SIMPLE))
    fast = _convert(converter, batch)
    monkeypatch.setattr(reading, "_loads", None)  # no batch path
    assert fast == _convert(Converter(config(serde), table(SIMPLE)), batch)


def test_full_table_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = [FULL, {**FULL, "ID": 8}]
    converter = Converter(config({"OpenXJsonSerDe": {"ConvertDotsInJsonKeysToUnderscores": True}}), table())
    fast = _convert(converter, batch)
    monkeypatch.setattr(reading, "_loads", None)
    assert fast == _convert(converter, batch)
    assert len(fast[0]) == 2 and fast[1] == []
