"""Resource patterns: IAM wildcards, AWS IoT's escapes, MQTT characters as literals, variables."""

from __future__ import annotations

import pytest

from headwater.services.iot.authz.patterns import Pattern, action_matcher

VALUES = {"iot:ClientId": "dev-1", "iot:Connection.Thing.ThingName": "lamp", "odd": "a*b"}


def _resolve(name: str) -> str | None:
    return VALUES.get(name)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("topic/a/b", "topic/a/b", True),
        ("topic/a/b", "topic/a/B", False),  # resources compare case-sensitively
        ("topic/a/*", "topic/a/b/c", True),  # * crosses levels
        ("topic/a/*", "topic/a", False),
        ("topic/a?", "topic/ab", True),
        ("topic/a?", "topic/abc", False),
        ("*", "anything at all", True),
        ("topic/+/x", "topic/+/x", True),  # MQTT wildcards are literal characters in policies
        ("topic/+/x", "topic/a/x", False),
        ("topic/#", "topic/#", True),
        ("topic/#", "topic/a", False),
        ("topic/$(*)", "topic/*", True),  # escapes name the special characters
        ("topic/$(*)", "topic/a", False),
        ("topic/$(?)", "topic/?", True),
        ("topic/$($)aws", "topic/$aws", True),
        ("topic/${*}", "topic/*", True),  # IAM's spelling of the same escapes
        ("topic/$aws/things/*", "topic/$aws/things/x/shadow", True),
        ("topic/${iot:ClientId}", "topic/dev-1", True),
        ("topic/${iot:ClientId}", "topic/dev-2", False),
        ("topic/${iot:ClientId}/*", "topic/dev-1/x/y", True),
        ("topic/${iot:Connection.Thing.ThingName}/?", "topic/lamp/1", True),
        ("topic/${odd}", "topic/a*b", True),  # a value is literal text, never a wildcard
        ("topic/${odd}", "topic/aXb", False),
        ("topic/${iot:Unknown}", "topic/${iot:Unknown}", False),  # an unresolved variable matches nothing
        ("topic/${iot:Unknown}*", "topic/anything", False),
    ],
)
def test_resource_matching(pattern: str, value: str, expected: bool) -> None:
    assert Pattern(pattern).matches(value, _resolve) is expected


def test_unresolved_variables_are_reported() -> None:
    missing: list[str] = []
    assert not Pattern("topic/${iot:Connection.Thing.Attributes[floor]}").matches(
        "topic/1", _resolve, missing
    )
    assert missing == ["iot:Connection.Thing.Attributes[floor]"]


def test_substitution_keeps_wildcards_as_written() -> None:
    assert Pattern("a/${iot:ClientId}/*").substitute(_resolve) == "a/dev-1/*"
    assert Pattern("a/${nothing}").substitute(_resolve) is None


def test_compiled_values_are_reused_and_bounded() -> None:
    pattern = Pattern("topic/${iot:ClientId}/*")
    for i in range(5000):
        assert pattern.matches(f"topic/c{i}/x", lambda name, i=i: f"c{i}")
    assert 0 < len(pattern._compiled) <= 4096


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("iot:Publish", "iot:Publish", True),
        ("IOT:publish", "iot:Publish", True),  # actions compare case-insensitively
        ("iot:*", "iot:Receive", True),
        ("iot:Pub*", "iot:Publish", True),
        ("iot:Pub*", "iot:RetainPublish", False),
        ("*", "iot:Connect", True),
        ("iot:?onnect", "iot:Connect", True),
        ("iot:Publish", "iot:RetainPublish", False),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matcher(pattern)(action) is expected


def test_without_variables_dollar_braces_are_literal() -> None:
    pattern = Pattern("topic/${iot:ClientId}/*", variables=False)
    assert pattern.matches("topic/${iot:ClientId}/x", _resolve)
    assert not pattern.matches("topic/dev-1/x", _resolve)
    assert Pattern("topic/$(*)", variables=False).matches("topic/$(anything)", _resolve)
