"""Billing groups: create, describe, update with versions, list, their things, delete."""

from __future__ import annotations

from typing import Any

from tests.e2e.iot_registry.conftest import error_of


def test_billing_groups(iot: Any) -> None:
    made = iot.create_billing_group(
        billingGroupName="paid", billingGroupProperties={"billingGroupDescription": "the paid ones"}
    )
    assert made["billingGroupArn"] == "arn:aws:iot:us-east-1:000000000000:billinggroup/paid"
    iot.create_billing_group(billingGroupName="free")
    assert (
        error_of(
            iot.create_billing_group,
            billingGroupName="free",
            billingGroupProperties={"billingGroupDescription": "changed"},
        )[0]
        == "ResourceAlreadyExistsException"
    )
    seen = iot.describe_billing_group(billingGroupName="paid")
    assert (
        seen["version"] == 1 and seen["billingGroupProperties"]["billingGroupDescription"] == "the paid ones"
    )
    assert "creationDate" in seen["billingGroupMetadata"]
    assert (
        iot.update_billing_group(
            billingGroupName="paid",
            billingGroupProperties={"billingGroupDescription": "v2"},
            expectedVersion=1,
        )["version"]
        == 2
    )
    assert (
        error_of(
            iot.update_billing_group, billingGroupName="paid", billingGroupProperties={}, expectedVersion=1
        )[0]
        == "VersionConflictException"
    )
    assert [g["groupName"] for g in iot.list_billing_groups()["billingGroups"]] == ["free", "paid"]
    assert [g["groupName"] for g in iot.list_billing_groups(namePrefixFilter="pa")["billingGroups"]] == [
        "paid"
    ]

    iot.create_thing(thingName="a", billingGroupName="paid")
    iot.create_thing(thingName="b")
    iot.create_thing(thingName="c")
    assert iot.describe_thing(thingName="a")["billingGroupName"] == "paid"
    iot.add_thing_to_billing_group(billingGroupName="paid", thingName="b")
    iot.add_thing_to_billing_group(billingGroupArn=made["billingGroupArn"], thingName="c")
    first = iot.list_things_in_billing_group(billingGroupName="paid", maxResults=2)
    rest = iot.list_things_in_billing_group(billingGroupName="paid", nextToken=first["nextToken"])
    assert first["things"] + rest["things"] == ["a", "b", "c"]
    # one billing group per thing: adding it to another moves it
    iot.add_thing_to_billing_group(billingGroupName="free", thingName="c")
    assert iot.list_things_in_billing_group(billingGroupName="paid")["things"] == ["a", "b"]
    assert iot.describe_thing(thingName="c")["billingGroupName"] == "free"
    iot.remove_thing_from_billing_group(billingGroupName="paid", thingName="b")
    assert "billingGroupName" not in iot.describe_thing(thingName="b")
    assert error_of(iot.add_thing_to_billing_group, billingGroupName="ghost", thingName="a")[0] == (
        "ResourceNotFoundException"
    )
    assert (
        error_of(iot.list_things_in_billing_group, billingGroupName="ghost")[0] == "ResourceNotFoundException"
    )

    assert error_of(iot.delete_billing_group, billingGroupName="paid", expectedVersion=1)[0] == (
        "VersionConflictException"
    )
    iot.delete_billing_group(billingGroupName="paid")
    iot.delete_billing_group(billingGroupName="paid")  # gone: still a success
    assert "billingGroupName" not in iot.describe_thing(thingName="a")
    assert error_of(iot.describe_billing_group, billingGroupName="paid")[0] == "ResourceNotFoundException"
