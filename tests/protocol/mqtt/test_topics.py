"""Topic names, topic filters and shared subscriptions (MQTT 5 section 4.7 and 4.8.2)."""

from __future__ import annotations

import pytest

from headwater.protocol.mqtt.topics import parse_shared_subscription, valid_topic_filter, valid_topic_name


@pytest.mark.parametrize(
    "topic", ["a", "/", "a/b", "/a/", "$aws/things/t/shadow/update", "a//b", " ", "ünï/çødé"]
)
def test_valid_topic_names(topic: str) -> None:
    assert valid_topic_name(topic)


@pytest.mark.parametrize("topic", ["", "a/+", "#", "a/#", "a+b", "a\x00b", "x" * 65_536, "é" * 40_000])
def test_invalid_topic_names(topic: str) -> None:
    assert not valid_topic_name(topic)


@pytest.mark.parametrize(
    "topic_filter",
    [
        "#",
        "+",
        "a/#",
        "a/+",
        "+/+",
        "+/a/#",
        "/#",
        "a//+",
        "$SYS/#",
        "a/b",
        "$share/g/a/#",
        "$share/g/+",
        "$share/g/#",
    ],
)
def test_valid_filters(topic_filter: str) -> None:
    assert valid_topic_filter(topic_filter)


@pytest.mark.parametrize(
    "topic_filter",
    [
        "",
        "a#",
        "a/#/b",
        "#/a",
        "a/b#",
        "a+",
        "a/+b",
        "++",
        "a\x00",
        "$share/g",
        "$share//a",
        "$share/g+/a",
        "$share/g/",
    ],
)
def test_invalid_filters(topic_filter: str) -> None:
    assert not valid_topic_filter(topic_filter)


def test_shared_subscriptions() -> None:
    assert parse_shared_subscription("a/b") is None
    assert parse_shared_subscription("$sharex/g/a") is None
    assert parse_shared_subscription("$share/g/a/b/#") == ("g", "a/b/#")
    assert parse_shared_subscription("$share/group-1//") == ("group-1", "/")
    for bad in ["$share/", "$share/g", "$share/g/", "$share//a", "$share/#/a", "$share/g+/a", "$share/g/a/#/b",
                "$share/g/$share/h/a"]:  # fmt: skip
        with pytest.raises(ValueError):
            parse_shared_subscription(bad)
