"""Thing types: create, describe, list, update, deprecate (and undo), and AWS's delete rules
(deprecated, five minutes later, no thing of the type left)."""

from __future__ import annotations

from typing import Any

from tests.e2e.iot_registry.conftest import error_of
from tests.e2e.support.server import Server


def test_type_lifecycle(iot: Any, server: Server) -> None:
    props = {"thingTypeDescription": "a lamp", "searchableAttributes": ["room", "floor"]}
    made = iot.create_thing_type(
        thingTypeName="lamp", thingTypeProperties=props, tags=[{"Key": "k", "Value": "v"}]
    )
    assert made["thingTypeArn"] == "arn:aws:iot:us-east-1:000000000000:thingtype/lamp"
    assert (
        iot.create_thing_type(thingTypeName="lamp", thingTypeProperties=props)["thingTypeId"]
        == made["thingTypeId"]
    )
    code, _, status = error_of(iot.create_thing_type, thingTypeName="lamp")
    assert (code, status) == ("ResourceAlreadyExistsException", 409)
    seen = iot.describe_thing_type(thingTypeName="lamp")
    assert seen["thingTypeProperties"] == props
    assert seen["thingTypeMetadata"]["deprecated"] is False
    assert "creationDate" in seen["thingTypeMetadata"]
    assert iot.list_tags_for_resource(resourceArn=made["thingTypeArn"])["tags"] == [
        {"Key": "k", "Value": "v"}
    ]

    iot.update_thing_type(thingTypeName="lamp", thingTypeProperties={"searchableAttributes": ["room"]})
    assert iot.describe_thing_type(thingTypeName="lamp")["thingTypeProperties"]["searchableAttributes"] == [
        "room"
    ]

    iot.create_thing(thingName="l1", thingTypeName="lamp")
    # not deprecated yet: no delete
    assert error_of(iot.delete_thing_type, thingTypeName="lamp")[0] == "InvalidRequestException"
    iot.deprecate_thing_type(thingTypeName="lamp")
    meta = iot.describe_thing_type(thingTypeName="lamp")["thingTypeMetadata"]
    assert meta["deprecated"] is True and "deprecationDate" in meta
    # a deprecated type takes no new thing; the existing one keeps it
    assert error_of(iot.create_thing, thingName="l2", thingTypeName="lamp")[0] == "InvalidRequestException"
    assert error_of(iot.update_thing, thingName="l1", thingTypeName="lamp", expectedVersion=9)[0] == (
        "VersionConflictException"
    )
    assert iot.describe_thing(thingName="l1")["thingTypeName"] == "lamp"
    # AWS: five minutes after the deprecation
    code, message, _ = error_of(iot.delete_thing_type, thingTypeName="lamp")
    assert code == "InvalidRequestException" and "5 minutes" in message
    server.advance(301)
    # and no thing of the type left
    assert error_of(iot.delete_thing_type, thingTypeName="lamp")[0] == "InvalidRequestException"
    iot.delete_thing(thingName="l1")
    iot.delete_thing_type(thingTypeName="lamp")
    assert error_of(iot.describe_thing_type, thingTypeName="lamp")[0] == "ResourceNotFoundException"
    assert error_of(iot.delete_thing_type, thingTypeName="lamp")[0] == "ResourceNotFoundException"


def test_undo_deprecate_and_listing(iot: Any) -> None:
    for name in ("a-type", "b-type", "c-type"):
        iot.create_thing_type(thingTypeName=name)
    iot.deprecate_thing_type(thingTypeName="b-type")
    iot.deprecate_thing_type(thingTypeName="b-type", undoDeprecate=True)
    assert iot.describe_thing_type(thingTypeName="b-type")["thingTypeMetadata"]["deprecated"] is False
    iot.create_thing(thingName="ok", thingTypeName="b-type")

    first = iot.list_thing_types(maxResults=2)
    second = iot.list_thing_types(maxResults=2, nextToken=first["nextToken"])
    names = [t["thingTypeName"] for t in first["thingTypes"] + second["thingTypes"]]
    assert names == ["a-type", "b-type", "c-type"] and "nextToken" not in second
    only = iot.list_thing_types(thingTypeName="c-type")["thingTypes"]
    assert [t["thingTypeName"] for t in only] == ["c-type"]
    assert only[0]["thingTypeMetadata"]["deprecated"] is False
    code, _, _ = error_of(
        iot.create_thing_type,
        thingTypeName="wide",
        thingTypeProperties={"searchableAttributes": ["a", "b", "c", "d"]},
    )
    assert code == "InvalidRequestException"
    assert error_of(iot.deprecate_thing_type, thingTypeName="ghost")[0] == "ResourceNotFoundException"
