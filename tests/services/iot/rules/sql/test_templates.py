"""Substitution templates (page iot-substitution-templates): `${expr}` in action fields."""

from __future__ import annotations

import pytest

from headwater.services.iot.rules.contracts import SqlError
from headwater.services.iot.rules.sql import check_template
from tests.services.iot.rules.sql.support import V1, template

DEVICE = {
    "deviceid": "iot123",
    "temp": 54.98,
    "humidity": 32.43,
    "coords": {"latitude": 47.615694, "longitude": -122.3359976},
}


def test_documented_republish_topic() -> None:
    assert template("${topic()}/republish", DEVICE, topic="my/iot/topic") == "my/iot/topic/republish"


def test_documented_parse_time_key() -> None:
    # iot-sql-functions, parse_time(): "key": "${parse_time('yyyy', timestamp(), 'UTC')}"
    assert template("${parse_time('yyyy', timestamp(), 'UTC')}", timestamp_ms=1_496_999_986_000) == "2017"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${deviceid}", "iot123"),  # strings unquoted
        ("${temp}", "54.98"),
        ("${coords}", '{"latitude":47.615694,"longitude":-122.3359976}'),  # objects as JSON
        ("${[1, 'a']}", '[1,"a"]'),
        ("${coords.latitude > 40}", "true"),
        ("${missing}", ""),  # Undefined is nothing
        ("${null}", "null"),
        ("a-${deviceid}-${topic(2)}-b", "a-iot123-iot-b"),
        ("$${deviceid}", "${deviceid}"),  # `$$` writes a lone `$`
        ("$$aws/things/${deviceid}/shadow/update", "$aws/things/iot123/shadow/update"),
        ("cost: $5", "cost: $5"),
        ("${get({'a': '}'}, 'a')}", "}"),  # a brace inside a string or a literal does not close it
        ("${concat(deviceid, '-', clientid())}", "iot123-device-1"),
    ],
)
def test_rendering(text: str, expected: str) -> None:
    assert template(text, DEVICE, topic="my/iot/topic") == expected


def test_aliases_are_not_visible_only_the_original_payload() -> None:
    # "you can't reference an alias created using the AS clause"
    assert template("${t}", DEVICE) == ""
    assert template("${temp}", DEVICE) == "54.98"


def test_binary_payload_in_templates() -> None:
    assert template("${encode(*, 'base64')}", b"\x00\x01") == "AAE="
    assert template("${deviceid}", b"\x00\x01") == ""


@pytest.mark.parametrize("bad", ["${", "${topic()", "${}", "${1 +}", "${nosuch()}"])
def test_invalid_templates(bad: str) -> None:
    with pytest.raises(SqlError):
        check_template(bad)
    with pytest.raises(SqlError):
        template(bad)


def test_templates_of_the_topic_alone_follow_the_topic() -> None:
    # such a template's text is kept per topic: another topic, or the same one again, renders right
    for _ in range(2):
        assert template("${topic(2)}-${upper(topic(3))}", topic="a/dev-1/t") == "dev-1-T"
        assert template("${topic(2)}-${upper(topic(3))}", topic="a/dev-2/u") == "dev-2-U"
        assert template("${topic(2)}", topic="a/b", version=V1) == "b"


def test_templates_reading_more_than_the_topic_are_rendered_per_message() -> None:
    assert template("${topic(2)}/${clientid()}", topic="a/b", client_id="one") == "b/one"
    assert template("${topic(2)}/${clientid()}", topic="a/b", client_id="two") == "b/two"
    assert template("${topic(2)}/${deviceid}", {"deviceid": 1}, topic="a/b") == "b/1"
    assert template("${topic(2)}/${deviceid}", {"deviceid": 2}, topic="a/b") == "b/2"
    first, second = (template("${topic(2)}/${newuuid()}", topic="a/b") for _ in range(2))
    assert first != second
