"""Shadow document semantics against AWS's documented rules, as pure functions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headwater.services.iot.shadow import document as doc
from headwater.services.ports import ShadowError

NOW = 1_700_000_000_000


def _apply(current: doc.Shadow | None, body: dict[str, Any], now: int = NOW) -> doc.Outcome:
    return doc.apply(current, doc.parse_update(json.dumps(body).encode()), now)


@pytest.mark.parametrize(
    ("desired", "reported", "expected"),
    [
        ({"a": 1}, {"a": 1}, {}),
        ({"a": 1}, {}, {"a": 1}),  # missing from reported
        ({}, {"only": 1}, {}),  # only in reported: never in the delta
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}}, {"a": {"c": 2}}),  # nested, kept to the root
        ({"a": [1, 2]}, {"a": [1]}, {"a": [1, 2]}),  # arrays whole
        ({"a": True}, {"a": 1}, {"a": True}),  # true is not 1
        ({"a": 1}, {"a": 1.0}, {}),
        ({"a": "1"}, {"a": 1}, {"a": "1"}),
        ({"a": {"b": 1}}, {"a": 5}, {"a": {"b": 1}}),
        ({"a": None}, {}, {"a": None}),
    ],
)
def test_delta(desired: dict[str, Any], reported: dict[str, Any], expected: dict[str, Any]) -> None:
    assert doc.delta(desired, reported) == expected


def test_update_merges_deletes_and_versions() -> None:
    first = _apply(
        None, {"state": {"desired": {"a": {"b": 1, "c": 2}, "list": [1, {"x": 1}]}}, "clientToken": "t"}
    )
    assert first.shadow.version == 1 and first.accepted["clientToken"] == "t"
    assert first.shadow.metadata["desired"]["list"] == [
        {"timestamp": NOW // 1000},
        {"x": {"timestamp": NOW // 1000}},
    ]
    assert first.delta is not None and first.delta["state"] == first.shadow.state["desired"]
    assert "previous" not in first.documents and first.documents["current"]["version"] == 1

    later = NOW + 5000
    second = _apply(
        first.shadow,
        {"state": {"desired": {"a": {"b": None}, "list": [3]}, "reported": {"list": [3]}}},
        later,
    )
    assert second.shadow.state == {"desired": {"a": {"c": 2}, "list": [3]}, "reported": {"list": [3]}}
    assert second.shadow.metadata["desired"]["a"] == {"c": {"timestamp": NOW // 1000}}
    assert second.accepted["state"]["desired"]["a"] == {"b": None}  # the request echoed, nulls kept
    assert second.accepted["metadata"]["desired"]["a"]["b"] == {"timestamp": later // 1000}
    assert second.delta is not None and second.delta["state"] == {"a": {"c": 2}}  # all differences
    assert second.documents["previous"]["version"] == 1 and second.documents["current"]["version"] == 2

    third = _apply(second.shadow, {"state": {"desired": None, "reported": {"list": None}}})
    assert third.shadow.state == {} and third.shadow.metadata == {} and third.delta is None


def test_versions_conflicts_and_tombstones() -> None:
    one = _apply(None, {"state": {"reported": {"a": 1}}, "version": 0}).shadow
    assert one.version == 1
    with pytest.raises(ShadowError) as excinfo:
        _apply(one, {"state": {"reported": {"a": 2}}, "version": 0})
    assert (excinfo.value.code, excinfo.value.message) == (409, "Version conflict")
    tombstone = doc.Shadow(version=7, deleted_ms=NOW)
    reborn = _apply(tombstone, {"state": {"reported": {"b": 1}}})
    assert reborn.shadow.version == 8 and reborn.shadow.state == {"reported": {"b": 1}}
    assert "previous" not in reborn.documents
    assert doc.Shadow.decode(tombstone.encode()) == tombstone
    assert doc.Shadow.decode(reborn.shadow.encode()) == reborn.shadow


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        (b"\xff\xfe", 415, "Unsupported documented encoding; supported encoding is UTF-8"),
        (b"[1]", 400, "Invalid JSON"),
        (b'{"state": {}, "version": -1}', 400, "Invalid version"),
        (b'{"state": {}, "version": true}', 400, "Invalid version"),
        (b'{"state": {}, "clientToken": 5}', 400, "Invalid clientToken"),
        (b'{"state": {"desired": {}, "metadata": {}}}', 400, "State contains an invalid node"),
        (b'{"state": null}', 400, "State node must be an object"),
    ],
)
def test_refusals(payload: bytes, code: int, message: str) -> None:
    with pytest.raises(ShadowError) as excinfo:
        doc.parse_update(payload)
    assert (excinfo.value.code, excinfo.value.message) == (code, message)


def test_depth_six_is_allowed_seven_is_not() -> None:
    six: Any = 1
    for _ in range(5):
        six = {"k": six}
    doc.parse_update(json.dumps({"state": {"desired": {"k": six}}}).encode())
    with pytest.raises(ShadowError):
        doc.parse_update(json.dumps({"state": {"desired": {"k": {"k": six}}}}).encode())


def test_state_size_limit_counts_the_merged_state() -> None:
    half = "x" * 4000
    shadow = _apply(None, {"state": {"desired": {"a": half}}}).shadow
    shadow = _apply(shadow, {"state": {"reported": {"a": half}}}).shadow  # about 8,030 bytes: fits
    with pytest.raises(ShadowError) as excinfo:
        _apply(shadow, {"state": {"reported": {"b": "y" * 200}}})
    assert excinfo.value.code == 413


def test_get_document_and_tokens() -> None:
    shadow = _apply(None, {"state": {"desired": {"a": 1}, "reported": {"a": 2}}}).shadow
    got = doc.get_document(shadow, NOW, "tok")
    assert (
        got["state"]["delta"] == {"a": 1} and got["clientToken"] == "tok" and "delta" not in got["metadata"]
    )
    assert doc.token_of(b"") is None and doc.token_of(b'{"clientToken":"x"}') == "x"
    assert (
        doc.token_for_error(b'{"clientToken":"y","state":1}') == "y" and doc.token_for_error(b"junk") is None
    )
