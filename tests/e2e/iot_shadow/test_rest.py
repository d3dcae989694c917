"""The shadow REST API through boto3's iot-data client: AWS's documented light-bulb cycle, named
shadows and their listing, optimistic concurrency, AWS's errors, deletion and the version that
carries on within 48 hours (on the test clock), and Headwater's history route."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot_shadow.conftest import document, update


def _data(aws: Gateway) -> Any:
    return aws.iot("iot-data")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_light_bulb_desired_reported_delta(aws: Gateway) -> None:
    data = _data(aws)
    accepted = update(data, "rest-bulb", {"reported": {"color": "green"}}, clientToken="boot")
    assert accepted["state"] == {"reported": {"color": "green"}}
    assert accepted["version"] == 1 and accepted["clientToken"] == "boot"
    assert set(accepted["metadata"]["reported"]["color"]) == {"timestamp"}

    update(data, "rest-bulb", {"desired": {"color": "yellow"}})
    shadow = document(data.get_thing_shadow(thingName="rest-bulb"))
    assert shadow["state"] == {
        "desired": {"color": "yellow"},
        "reported": {"color": "green"},
        "delta": {"color": "yellow"},
    }
    assert shadow["version"] == 2 and "clientToken" not in shadow

    update(data, "rest-bulb", {"reported": {"color": "yellow"}})
    shadow = document(data.get_thing_shadow(thingName="rest-bulb"))
    assert shadow["state"] == {"desired": {"color": "yellow"}, "reported": {"color": "yellow"}}
    assert shadow["version"] == 3


def test_merge_rules_nulls_arrays_and_nested_delta(aws: Gateway) -> None:
    data = _data(aws)
    update(data, "merge", {"desired": {"light": {"on": True, "level": 5}, "colors": ["red", "blue"], "x": 1}})
    update(data, "merge", {"reported": {"light": {"on": True, "level": 3}, "colors": ["red"], "only": 1}})
    shadow = document(data.get_thing_shadow(thingName="merge"))
    # nested keys kept to the root, arrays whole, keys only in reported never
    assert shadow["state"]["delta"] == {"light": {"level": 5}, "colors": ["red", "blue"], "x": 1}
    assert [set(item) for item in shadow["metadata"]["desired"]["colors"]] == [{"timestamp"}, {"timestamp"}]

    update(data, "merge", {"desired": {"x": None, "colors": ["red"]}})  # null deletes, arrays replace
    shadow = document(data.get_thing_shadow(thingName="merge"))
    assert shadow["state"]["desired"] == {"light": {"on": True, "level": 5}, "colors": ["red"]}
    assert shadow["state"]["delta"] == {"light": {"level": 5}}
    assert "x" not in shadow["metadata"]["desired"]

    update(data, "merge", {"desired": None})  # a null section deletes it
    shadow = document(data.get_thing_shadow(thingName="merge"))
    assert set(shadow["state"]) == {"reported"} and set(shadow["metadata"]) == {"reported"}


def test_named_shadows_are_separate_and_listed_in_pages(aws: Gateway) -> None:
    data = _data(aws)
    update(data, "multi", {"reported": {"classic": True}})
    for name in ("beta", "alpha", "gamma", "delta-1"):
        update(data, "multi", {"reported": {"name": name}}, name=name)
    assert document(data.get_thing_shadow(thingName="multi", shadowName="alpha"))["state"] == {
        "reported": {"name": "alpha"}
    }
    assert document(data.get_thing_shadow(thingName="multi"))["state"] == {"reported": {"classic": True}}

    listed = data.list_named_shadows_for_thing(thingName="multi")
    assert listed["results"] == ["alpha", "beta", "delta-1", "gamma"]
    assert isinstance(listed["timestamp"], int) and "nextToken" not in listed
    first = data.list_named_shadows_for_thing(thingName="multi", pageSize=3)
    assert first["results"] == ["alpha", "beta", "delta-1"]
    second = data.list_named_shadows_for_thing(thingName="multi", pageSize=3, nextToken=first["nextToken"])
    assert second["results"] == ["gamma"] and "nextToken" not in second

    data.delete_thing_shadow(thingName="multi", shadowName="beta")
    assert data.list_named_shadows_for_thing(thingName="multi")["results"] == ["alpha", "delta-1", "gamma"]
    assert data.list_named_shadows_for_thing(thingName="nothing-here")["results"] == []


def test_version_conflict(aws: Gateway) -> None:
    data = _data(aws)
    assert update(data, "versioned", {"desired": {"a": 1}})["version"] == 1
    assert update(data, "versioned", {"desired": {"a": 2}}, version=1)["version"] == 2
    with pytest.raises(ClientError) as excinfo:
        update(data, "versioned", {"desired": {"a": 3}}, version=1)
    assert _error(excinfo) == ("ConflictException", "Version conflict", 409)
    assert document(data.get_thing_shadow(thingName="versioned"))["state"]["desired"] == {"a": 2}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "Invalid JSON"),
        (b'{"desired": {}}', "Missing required node: state"),
        (b'{"state": 5}', "State node must be an object"),
        (b'{"state": {"desired": 1}}', "Desired node must be an object"),
        (b'{"state": {"reported": "x"}}', "Reported node must be an object"),
        (b'{"state": {"delta": {}}}', "State contains an invalid node"),
        (b'{"state": {}, "version": "7"}', "Invalid version"),
        (b'{"state": {}, "clientToken": "' + b"t" * 65 + b'"}', "Invalid clientToken"),
        (
            b'{"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}}',
            "JSON contains too many levels of nesting; maximum is 6",
        ),
    ],
)
def test_bad_requests(aws: Gateway, payload: bytes, message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        _data(aws).update_thing_shadow(thingName="bad", payload=payload)
    assert _error(excinfo) == ("InvalidRequestException", message, 400)


def test_missing_too_large_and_not_utf8(aws: Gateway) -> None:
    data = _data(aws)
    with pytest.raises(ClientError) as excinfo:
        data.get_thing_shadow(thingName="never")
    assert _error(excinfo) == ("ResourceNotFoundException", "No shadow exists with name: 'never'", 404)
    with pytest.raises(ClientError) as excinfo:
        data.get_thing_shadow(thingName="never", shadowName="named")
    assert _error(excinfo)[1] == "No shadow exists with name: 'named'"
    with pytest.raises(ClientError) as excinfo:
        data.delete_thing_shadow(thingName="never")
    assert _error(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        update(data, "big", {"desired": {"blob": "x" * 9000}})
    assert _error(excinfo) == (
        "RequestEntityTooLargeException",
        "The payload exceeds the maximum size allowed",
        413,
    )
    with pytest.raises(ClientError) as excinfo:
        data.update_thing_shadow(thingName="latin", payload=b'{"state": {"desired": {"a": "\xe9"}}}')
    assert _error(excinfo)[0] == "UnsupportedDocumentEncodingException"


def test_delete_keeps_the_version_for_48_hours(aws: Gateway) -> None:
    data = _data(aws)
    for value in range(3):
        update(data, "phoenix", {"reported": {"n": value}})
    deleted = document(data.delete_thing_shadow(thingName="phoenix"))
    assert deleted["version"] == 3 and isinstance(deleted["timestamp"], int)
    with pytest.raises(ClientError):
        data.get_thing_shadow(thingName="phoenix")
    assert update(data, "phoenix", {"reported": {"n": 10}})["version"] == 4  # carries on
    shadow = document(data.get_thing_shadow(thingName="phoenix"))
    assert shadow["state"] == {"reported": {"n": 10}}  # nothing of the deleted document came back

    data.delete_thing_shadow(thingName="phoenix")
    aws.server.advance(48 * 3600 + 60)
    assert update(data, "phoenix", {"reported": {"n": 11}})["version"] == 1  # starts over


def test_history_route(aws: Gateway) -> None:
    data = _data(aws)
    update(data, "watched", {"desired": {"mode": "eco"}}, name="settings", clientToken="c1")
    update(data, "watched", {"reported": {"mode": "eco"}}, name="settings")
    data.delete_thing_shadow(thingName="watched", shadowName="settings")
    url = f"{aws.server.endpoint}/_headwater/iot/shadow-history?thing=watched&name=settings"
    with urllib.request.urlopen(url, timeout=10) as response:
        history = json.loads(response.read())
    changes = history["changes"]
    assert [change["operation"] for change in changes] == ["update", "update", "delete"]
    assert changes[0]["request"] == {"desired": {"mode": "eco"}} and changes[0]["clientToken"] == "c1"
    assert changes[0]["delta"] == {"mode": "eco"} and changes[1]["delta"] is None
    assert [change["version"] for change in changes] == [1, 2, 2]
