"""Things: create (idempotent when identical), describe, update with versions, delete, list with
filters and paging, and AWS's validation and attribute limits."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.iot_registry.conftest import error_of

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_create_describe_and_idempotent_create(iot: Any) -> None:
    made = iot.create_thing(thingName="lamp:1", attributePayload={"attributes": {"room": "hall"}})
    assert made["thingArn"] == "arn:aws:iot:us-east-1:000000000000:thing/lamp:1"
    assert UUID.fullmatch(made["thingId"])
    again = iot.create_thing(thingName="lamp:1", attributePayload={"attributes": {"room": "hall"}})
    assert again["thingId"] == made["thingId"]
    seen = iot.describe_thing(thingName="lamp:1")
    assert seen["defaultClientId"] == "lamp:1"
    assert seen["version"] == 1
    assert seen["attributes"] == {"room": "hall"}
    assert "thingTypeName" not in seen and "billingGroupName" not in seen

    from botocore.exceptions import ClientError

    try:
        iot.create_thing(thingName="lamp:1", attributePayload={"attributes": {"room": "attic"}})
        raise AssertionError("a different configuration must conflict")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceAlreadyExistsException"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert error.response["resourceId"] == made["thingId"]
        assert error.response["resourceArn"] == made["thingArn"]


def test_missing_and_invalid_names(iot: Any) -> None:
    code, message, status = error_of(iot.describe_thing, thingName="ghost")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "ghost" in message
    code, message, status = error_of(iot.create_thing, thingName="no spaces")
    assert (code, status) == ("InvalidRequestException", 400)
    assert message.startswith("1 validation error detected: Value 'no spaces' at 'thingName'")
    code, _, _ = error_of(iot.create_thing, thingName="x" * 129)
    assert code == "InvalidRequestException"
    code, _, _ = error_of(iot.create_thing, thingName="t", thingTypeName="no-such-type")
    assert code == "ResourceNotFoundException"
    code, _, _ = error_of(iot.create_thing, thingName="t", billingGroupName="no-such-group")
    assert code == "ResourceNotFoundException"
    # deleting what does not exist succeeds, as AWS says
    iot.delete_thing(thingName="ghost")


def test_attribute_limits(iot: Any) -> None:
    four = {f"a{i}": "v" for i in range(4)}
    code, _, _ = error_of(iot.create_thing, thingName="t", attributePayload={"attributes": four})
    assert code == "InvalidRequestException"
    iot.create_thing_type(thingTypeName="sensor")
    fifty = {f"a{i}": "v" for i in range(50)}
    iot.create_thing(thingName="typed", thingTypeName="sensor", attributePayload={"attributes": fifty})
    code, _, _ = error_of(
        iot.update_thing, thingName="typed", attributePayload={"attributes": {"more": "x"}, "merge": True}
    )
    assert code == "InvalidRequestException"
    # removing the type of a thing with more than 3 attributes is refused likewise
    code, _, _ = error_of(iot.update_thing, thingName="typed", removeThingType=True)
    assert code == "InvalidRequestException"


def test_update_merges_replaces_and_checks_versions(iot: Any) -> None:
    iot.create_thing(thingName="t", attributePayload={"attributes": {"a": "1", "b": "2"}})
    iot.update_thing(thingName="t", attributePayload={"attributes": {"b": "", "c": "3"}, "merge": True})
    seen = iot.describe_thing(thingName="t")
    assert seen["attributes"] == {"a": "1", "c": "3"} and seen["version"] == 2
    iot.update_thing(thingName="t", attributePayload={"attributes": {"z": "9"}}, expectedVersion=2)
    assert iot.describe_thing(thingName="t")["attributes"] == {"z": "9"}
    code, _, status = error_of(iot.update_thing, thingName="t", expectedVersion=1)
    assert (code, status) == ("VersionConflictException", 409)
    code, _, _ = error_of(iot.update_thing, thingName="ghost", attributePayload={"attributes": {}})
    assert code == "ResourceNotFoundException"

    iot.create_thing_type(thingTypeName="bulb")
    iot.update_thing(thingName="t", thingTypeName="bulb")
    assert iot.describe_thing(thingName="t")["thingTypeName"] == "bulb"
    code, _, _ = error_of(iot.update_thing, thingName="t", thingTypeName="bulb", removeThingType=True)
    assert code == "InvalidRequestException"
    iot.update_thing(thingName="t", removeThingType=True)
    assert "thingTypeName" not in iot.describe_thing(thingName="t")

    code, _, status = error_of(iot.delete_thing, thingName="t", expectedVersion=1)
    assert (code, status) == ("VersionConflictException", 409)
    iot.delete_thing(thingName="t", expectedVersion=iot.describe_thing(thingName="t")["version"])
    assert error_of(iot.describe_thing, thingName="t")[0] == "ResourceNotFoundException"


def test_list_filters_and_paging(iot: Any) -> None:
    iot.create_thing_type(thingTypeName="meter")
    for i in range(12):
        attrs = {"site": "north" if i % 2 else "south", "serial": f"SN{i:03}"}
        kind = {"thingTypeName": "meter"} if i % 3 == 0 else {}
        iot.create_thing(thingName=f"dev-{i:02}", attributePayload={"attributes": attrs}, **kind)

    pages = list(iot.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["things"]) for p in pages] == [5, 5, 2]
    assert [t["thingName"] for p in pages for t in p["things"]] == [f"dev-{i:02}" for i in range(12)]

    north = iot.list_things(attributeName="site", attributeValue="north")["things"]
    assert [t["thingName"] for t in north] == [f"dev-{i:02}" for i in range(1, 12, 2)]
    prefixed = iot.list_things(attributeName="serial", attributeValue="SN00", usePrefixAttributeValue=True)
    assert len(prefixed["things"]) == 10
    typed = iot.list_things(thingTypeName="meter")["things"]
    assert [t["thingName"] for t in typed] == ["dev-00", "dev-03", "dev-06", "dev-09"]
    assert all(t["thingTypeName"] == "meter" for t in typed)
    first = iot.list_things(thingTypeName="meter", maxResults=3)
    rest = iot.list_things(thingTypeName="meter", maxResults=3, nextToken=first["nextToken"])
    assert [t["thingName"] for t in rest["things"]] == ["dev-09"] and "nextToken" not in rest
    code, _, _ = error_of(iot.list_things, nextToken="%%%not-a-token")
    assert code == "InvalidRequestException"


def test_accounts_and_regions_are_separate(client: Any) -> None:
    here = client("iot")
    there = client("iot", access_key="111111111111")
    west = client("iot", region="us-west-2")
    here.create_thing(thingName="shared-name")
    there.create_thing(thingName="shared-name", attributePayload={"attributes": {"k": "v"}})
    assert there.describe_thing(thingName="shared-name")["thingArn"].split(":")[4] == "111111111111"
    assert west.list_things()["things"] == []
    assert west.create_thing(thingName="shared-name")["thingArn"].startswith("arn:aws:iot:us-west-2:")
