"""Condition operators as IAM defines them, on IoT's keys."""

from __future__ import annotations

import pytest

from headwater.services.iot.authz.conditions import Condition


class _Context:
    def __init__(self, **values: str | list[str]) -> None:
        self._values = {k.casefold(): v for k, v in values.items()}

    def get(self, name: str) -> str | None:
        value = self._values.get(name.casefold())
        return value if isinstance(value, str) else None

    def values(self, name: str) -> list[str] | None:
        value = self._values.get(name.casefold())
        return None if value is None else [value] if isinstance(value, str) else value


CTX = _Context(
    **{
        "iot:ClientId": "Sensor-7",
        "aws:SourceIp": "10.1.2.3",
        "iot:KeepAliveTime": "60",
        "iot:Connection.Thing.IsAttached": "true",
        "iot:Connection.Thing.ThingName": "Sensor-7",
        "aws:CurrentTime": "2026-12-05T12:00:00Z",
        "iot:Certificate.Subject.Organization.List": ["Example Corp", "AnyCompany"],
        "iot:ConnectAttributes": ["PersistentConnect", "LastWill"],
    }
)


@pytest.mark.parametrize(
    ("operator", "key", "values", "expected"),
    [
        ("StringEquals", "iot:ClientId", ["Sensor-7"], True),
        ("StringEquals", "IOT:CLIENTID", ["Sensor-7"], True),  # keys are case-insensitive
        ("StringEquals", "iot:ClientId", ["sensor-7"], False),
        ("StringEquals", "iot:ClientId", ["a", "Sensor-7"], True),  # values are alternatives
        ("StringEquals", "iot:ClientId", ["${iot:Connection.Thing.ThingName}"], True),  # variables in values
        ("StringEquals", "iot:ClientId", ["${iot:Nothing}"], False),
        ("StringNotEquals", "iot:ClientId", ["a", "b"], True),
        ("StringNotEquals", "iot:ClientId", ["Sensor-7"], False),
        ("StringEqualsIgnoreCase", "iot:ClientId", ["SENSOR-7"], True),
        ("StringNotEqualsIgnoreCase", "iot:ClientId", ["SENSOR-7"], False),
        ("StringLike", "iot:ClientId", ["Sensor-*"], True),
        ("StringLike", "iot:ClientId", ["Sensor-?"], True),
        ("StringLike", "iot:ClientId", ["Probe-*"], False),
        ("StringNotLike", "iot:ClientId", ["Probe-*"], True),
        ("ArnLike", "iot:ClientId", ["Sens*"], True),
        ("NumericLessThan", "iot:KeepAliveTime", ["61"], True),
        ("NumericLessThan", "iot:KeepAliveTime", ["60"], False),
        ("NumericLessThanEquals", "iot:KeepAliveTime", ["60"], True),
        ("NumericGreaterThan", "iot:KeepAliveTime", ["30"], True),
        ("NumericGreaterThanEquals", "iot:KeepAliveTime", ["61"], False),
        ("NumericEquals", "iot:KeepAliveTime", ["60.0"], True),
        ("NumericNotEquals", "iot:KeepAliveTime", ["60"], False),
        ("NumericEquals", "iot:KeepAliveTime", ["sixty"], False),
        ("DateGreaterThan", "aws:CurrentTime", ["2026-01-01T00:00:00Z"], True),
        ("DateLessThan", "aws:CurrentTime", ["2026-01-01T00:00:00Z"], False),
        ("DateLessThanEquals", "aws:CurrentTime", ["2026-12-05T12:00:00Z"], True),
        ("Bool", "iot:Connection.Thing.IsAttached", ["true"], True),
        ("Bool", "iot:Connection.Thing.IsAttached", ["false"], False),
        ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"], True),
        ("IpAddress", "aws:SourceIp", ["192.168.0.0/16", "10.1.2.3"], True),
        ("IpAddress", "aws:SourceIp", ["192.168.0.0/16"], False),
        ("NotIpAddress", "aws:SourceIp", ["192.168.0.0/16"], True),
        # keys the request does not have
        ("StringEquals", "iot:LastWillTopic", ["x"], False),
        ("StringNotEquals", "iot:LastWillTopic", ["x"], True),
        ("StringEqualsIfExists", "iot:LastWillTopic", ["x"], True),
        ("StringEqualsIfExists", "iot:ClientId", ["x"], False),
        ("Null", "iot:LastWillTopic", ["true"], True),
        ("Null", "iot:ClientId", ["true"], False),
        ("Null", "iot:ClientId", ["false"], True),
        # multi-valued keys
        (
            "ForAllValues:StringEquals",
            "iot:Certificate.Subject.Organization.List",
            ["Example Corp", "AnyCompany"],
            True,
        ),
        ("ForAllValues:StringEquals", "iot:Certificate.Subject.Organization.List", ["Example Corp"], False),
        ("ForAnyValue:StringEquals", "iot:Certificate.Subject.Organization.List", ["Example Corp"], True),
        ("ForAnyValue:StringEquals", "iot:Certificate.Subject.Organization.List", ["Other"], False),
        ("ForAllValues:StringEquals", "iot:ConnectAttributes", ["PersistentConnect"], False),
        ("ForAnyValue:StringLike", "iot:ConnectAttributes", ["Last*"], True),
        ("ForAllValues:StringNotEquals", "iot:ConnectAttributes", ["CleanSession"], True),
        ("ForAnyValue:StringNotEquals", "iot:ConnectAttributes", ["LastWill"], True),
        ("ForAllValues:StringEquals", "iot:Absent", ["x"], True),  # no values: all (none) match
        ("ForAnyValue:StringEquals", "iot:Absent", ["x"], False),
    ],
)
def test_operators(operator: str, key: str, values: list[str], expected: bool) -> None:
    condition = Condition.build(operator, key, values)
    assert condition is not None
    assert condition.holds(CTX) is expected


def test_a_missing_key_is_reported_for_test_authorization() -> None:
    missing: list[str] = []
    condition = Condition.build("StringEquals", "iot:LastWillTopic", ["x"])
    assert condition is not None and not condition.holds(CTX, missing)
    assert missing == ["iot:LastWillTopic"]


@pytest.mark.parametrize("operator", ["StringEqual", "NullIfExists", "ForEach:StringEquals", "IfExists"])
def test_unknown_operators(operator: str) -> None:
    assert Condition.build(operator, "iot:ClientId", ["x"]) is None
