"""Principals attached to things (the x-amzn-principal header), exclusive and not, both ways of
listing them, and AWS's rule that a thing with principals is not deleted."""

from __future__ import annotations

from typing import Any

from tests.e2e.iot_registry.conftest import certificate, error_of


def test_attach_list_detach(iot: Any) -> None:
    # AWS checks that an attached certificate exists
    CERT, OTHER = certificate(iot), certificate(iot)  # noqa: N806
    for name in ("door", "window", "roof"):
        iot.create_thing(thingName=name)
    iot.attach_thing_principal(thingName="door", principal=CERT)
    iot.attach_thing_principal(thingName="window", principal=CERT, thingPrincipalType="NON_EXCLUSIVE_THING")
    iot.attach_thing_principal(thingName="door", principal=OTHER, thingPrincipalType="EXCLUSIVE_THING")
    assert sorted(iot.list_thing_principals(thingName="door")["principals"]) == sorted([CERT, OTHER])
    v2 = iot.list_thing_principals_v2(thingName="door", thingPrincipalType="EXCLUSIVE_THING")
    assert v2["thingPrincipalObjects"] == [{"principal": OTHER, "thingPrincipalType": "EXCLUSIVE_THING"}]
    assert iot.list_principal_things(principal=CERT)["things"] == ["door", "window"]
    assert iot.list_principal_things_v2(principal=OTHER)["principalThingObjects"] == [
        {"thingName": "door", "thingPrincipalType": "EXCLUSIVE_THING"}
    ]
    first = iot.list_principal_things(principal=CERT, maxResults=1)
    rest = iot.list_principal_things(principal=CERT, nextToken=first["nextToken"])
    assert first["things"] + rest["things"] == ["door", "window"]

    # an exclusive attachment allows one thing only, either way round
    code, _, _ = error_of(iot.attach_thing_principal, thingName="roof", principal=OTHER)
    missing = "arn:aws:iot:us-east-1:000000000000:cert/" + "0" * 64
    assert error_of(iot.attach_thing_principal, thingName="roof", principal=missing)[0] == (
        "ResourceNotFoundException"
    )
    assert code == "InvalidRequestException"
    code, _, _ = error_of(
        iot.attach_thing_principal, thingName="roof", principal=CERT, thingPrincipalType="EXCLUSIVE_THING"
    )
    assert code == "InvalidRequestException"
    assert (
        error_of(iot.attach_thing_principal, thingName="ghost", principal=CERT)[0]
        == "ResourceNotFoundException"
    )
    assert error_of(iot.list_thing_principals, thingName="ghost")[0] == "ResourceNotFoundException"

    assert error_of(iot.delete_thing, thingName="door")[0] == "InvalidRequestException"
    iot.detach_thing_principal(thingName="door", principal=CERT)
    iot.detach_thing_principal(thingName="door", principal=OTHER)
    assert iot.list_thing_principals(thingName="door")["principals"] == []
    assert iot.list_principal_things(principal=CERT)["things"] == ["window"]
    iot.delete_thing(thingName="door")
    assert iot.list_principal_things(principal=OTHER)["things"] == []
