"""Static thing groups: the hierarchy (7 levels), describe's root-to-parent path, versions,
leaf-only deletes, listings, memberships (10 groups, one per hierarchy) and recursive listing."""

from __future__ import annotations

from typing import Any

from tests.e2e.iot_registry.conftest import error_of


def test_hierarchy_describe_update_delete(iot: Any) -> None:
    made = iot.create_thing_group(
        thingGroupName="root",
        thingGroupProperties={"thingGroupDescription": "top", "attributePayload": {"attributes": {"a": "1"}}},
        tags=[{"Key": "team", "Value": "ops"}],
    )
    assert made["thingGroupArn"] == "arn:aws:iot:us-east-1:000000000000:thinggroup/root"
    parent = "root"
    for level in range(2, 8):
        iot.create_thing_group(thingGroupName=f"level{level}", parentGroupName=parent)
        parent = f"level{level}"
    code, _, _ = error_of(iot.create_thing_group, thingGroupName="level8", parentGroupName="level7")
    assert code == "InvalidRequestException"
    assert error_of(iot.create_thing_group, thingGroupName="x", parentGroupName="ghost")[0] == (
        "ResourceNotFoundException"
    )

    seen = iot.describe_thing_group(thingGroupName="level3")
    assert seen["version"] == 1
    assert seen["thingGroupMetadata"]["parentGroupName"] == "level2"
    assert [g["groupName"] for g in seen["thingGroupMetadata"]["rootToParentThingGroups"]] == [
        "root",
        "level2",
    ]
    assert seen["thingGroupMetadata"]["rootToParentThingGroups"][0]["groupArn"] == made["thingGroupArn"]
    top = iot.describe_thing_group(thingGroupName="root")
    assert top["thingGroupProperties"]["attributePayload"]["attributes"] == {"a": "1"}
    assert top["thingGroupMetadata"]["rootToParentThingGroups"] == []

    updated = iot.update_thing_group(
        thingGroupName="root",
        thingGroupProperties={"attributePayload": {"attributes": {"b": "2"}, "merge": True}},
        expectedVersion=1,
    )
    assert updated["version"] == 2
    assert iot.describe_thing_group(thingGroupName="root")["thingGroupProperties"]["attributePayload"] == {
        "attributes": {"a": "1", "b": "2"}
    }
    assert (
        error_of(iot.update_thing_group, thingGroupName="root", thingGroupProperties={}, expectedVersion=1)[0]
        == "VersionConflictException"
    )

    # children first, as AWS requires
    assert error_of(iot.delete_thing_group, thingGroupName="level6")[0] == "InvalidRequestException"
    assert error_of(iot.delete_thing_group, thingGroupName="level7", expectedVersion=5)[0] == (
        "VersionConflictException"
    )
    iot.delete_thing_group(thingGroupName="level7")
    iot.delete_thing_group(thingGroupName="level7")  # gone already: still a success
    iot.delete_thing_group(thingGroupName="level6")


def test_list_thing_groups(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="fleet")
    iot.create_thing_group(thingGroupName="fleet-east", parentGroupName="fleet")
    iot.create_thing_group(thingGroupName="fleet-east-1", parentGroupName="fleet-east")
    iot.create_thing_group(thingGroupName="other")

    def names(**params: Any) -> list[str]:
        return [g["groupName"] for g in iot.list_thing_groups(**params)["thingGroups"]]

    assert names() == ["fleet", "fleet-east", "fleet-east-1", "other"]
    assert names(recursive=False) == ["fleet", "other"]
    assert names(parentGroup="fleet") == ["fleet-east"]
    assert names(parentGroup="fleet", recursive=True) == ["fleet-east", "fleet-east-1"]
    assert names(namePrefixFilter="fleet-") == ["fleet-east", "fleet-east-1"]
    pages = iot.get_paginator("list_thing_groups").paginate(PaginationConfig={"PageSize": 3})
    assert [g["groupName"] for p in pages for g in p["thingGroups"]] == names()
    assert error_of(iot.list_thing_groups, parentGroup="ghost")[0] == "ResourceNotFoundException"


def test_memberships(iot: Any) -> None:
    iot.create_thing(thingName="dev")
    iot.create_thing_group(thingGroupName="site")
    iot.create_thing_group(thingGroupName="site-a", parentGroupName="site")
    iot.create_thing_group(thingGroupName="site-b", parentGroupName="site")
    arn = iot.describe_thing_group(thingGroupName="site-a")["thingGroupArn"]
    iot.add_thing_to_thing_group(thingGroupArn=arn, thingName="dev")
    iot.add_thing_to_thing_group(thingGroupName="site-a", thingName="dev")  # again: no change
    # one group per hierarchy
    code, _, _ = error_of(iot.add_thing_to_thing_group, thingGroupName="site-b", thingName="dev")
    assert code == "InvalidRequestException"
    assert error_of(iot.add_thing_to_thing_group, thingGroupName="ghost", thingName="dev")[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(iot.add_thing_to_thing_group, thingGroupName="site", thingName="ghost")[0] == (
        "ResourceNotFoundException"
    )
    for i in range(9):
        iot.create_thing_group(thingGroupName=f"g{i}")
        iot.add_thing_to_thing_group(thingGroupName=f"g{i}", thingName="dev")
    iot.create_thing_group(thingGroupName="eleventh")
    code, _, _ = error_of(iot.add_thing_to_thing_group, thingGroupName="eleventh", thingName="dev")
    assert code == "InvalidRequestException"
    groups = iot.list_thing_groups_for_thing(thingName="dev")["thingGroups"]
    assert len(groups) == 10 and {"groupName": "site-a", "groupArn": arn} in groups

    iot.update_thing_groups_for_thing(
        thingName="dev", thingGroupsToRemove=["g0", "g1"], thingGroupsToAdd=["eleventh"]
    )
    names = [g["groupName"] for g in iot.list_thing_groups_for_thing(thingName="dev")["thingGroups"]]
    assert "eleventh" in names and "g0" not in names and len(names) == 9
    iot.remove_thing_from_thing_group(thingGroupName="g2", thingName="dev")
    iot.remove_thing_from_thing_group(thingGroupName="g2", thingName="dev")  # not a member: fine
    assert len(iot.list_thing_groups_for_thing(thingName="dev")["thingGroups"]) == 8

    # deleting a group takes its members out; deleting a thing leaves its groups
    iot.delete_thing_group(thingGroupName="g3")
    assert "g3" not in [
        g["groupName"] for g in iot.list_thing_groups_for_thing(thingName="dev")["thingGroups"]
    ]
    iot.delete_thing(thingName="dev")
    assert iot.list_things_in_thing_group(thingGroupName="g4")["things"] == []


def test_things_in_group_recursive_and_paged(iot: Any) -> None:
    iot.create_thing_group(thingGroupName="top")
    iot.create_thing_group(thingGroupName="mid", parentGroupName="top")
    iot.create_thing_group(thingGroupName="leaf", parentGroupName="mid")
    for i in range(7):
        iot.create_thing(thingName=f"t{i}")
        group = ("top", "mid", "leaf")[i % 3]
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=f"t{i}")
    assert iot.list_things_in_thing_group(thingGroupName="top")["things"] == ["t0", "t3", "t6"]
    everything = iot.get_paginator("list_things_in_thing_group").paginate(
        thingGroupName="top", recursive=True, PaginationConfig={"PageSize": 3}
    )
    assert [t for page in everything for t in page["things"]] == [f"t{i}" for i in range(7)]
    assert iot.list_things_in_thing_group(thingGroupName="mid", recursive=True)["things"] == [
        "t1",
        "t2",
        "t4",
        "t5",
    ]
    assert error_of(iot.list_things_in_thing_group, thingGroupName="ghost")[0] == "ResourceNotFoundException"
