"""Tags by ARN on the registry's resources, and the event configurations."""

from __future__ import annotations

from typing import Any

from tests.e2e.iot_registry.conftest import error_of


def test_tags(iot: Any) -> None:
    thing = iot.create_thing(thingName="tagged")["thingArn"]
    group = iot.create_thing_group(thingGroupName="g", tags=[{"Key": "a", "Value": "1"}])["thingGroupArn"]
    billing = iot.create_billing_group(billingGroupName="b")["billingGroupArn"]
    iot.tag_resource(resourceArn=thing, tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
    iot.tag_resource(resourceArn=thing, tags=[{"Key": "env", "Value": "prod"}])
    assert iot.list_tags_for_resource(resourceArn=thing)["tags"] == [
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "x"},
    ]
    iot.untag_resource(resourceArn=thing, tagKeys=["team", "absent"])
    assert iot.list_tags_for_resource(resourceArn=thing)["tags"] == [{"Key": "env", "Value": "prod"}]
    assert iot.list_tags_for_resource(resourceArn=group)["tags"] == [{"Key": "a", "Value": "1"}]
    iot.tag_resource(resourceArn=billing, tags=[{"Key": "cost", "Value": "center"}])
    assert iot.list_tags_for_resource(resourceArn=billing)["tags"] == [{"Key": "cost", "Value": "center"}]

    missing = thing.replace("thing/tagged", "thing/ghost")
    assert error_of(iot.tag_resource, resourceArn=missing, tags=[{"Key": "k", "Value": "v"}])[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(iot.list_tags_for_resource, resourceArn="not-an-arn")[0] == "InvalidRequestException"
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert error_of(iot.tag_resource, resourceArn=thing, tags=too_many)[0] == "LimitExceededException"
    # a deleted thing's tags go with it
    iot.delete_thing(thingName="tagged")
    iot.create_thing(thingName="tagged")
    assert iot.list_tags_for_resource(resourceArn=thing)["tags"] == []


def test_event_configurations(iot: Any) -> None:
    initial = iot.describe_event_configurations()
    assert initial["eventConfigurations"]["THING"] == {"Enabled": False}
    assert len(initial["eventConfigurations"]) == 11
    iot.update_event_configurations(
        eventConfigurations={"THING": {"Enabled": True}, "THING_GROUP_MEMBERSHIP": {"Enabled": True}}
    )
    seen = iot.describe_event_configurations()
    assert seen["eventConfigurations"]["THING"] == {"Enabled": True}
    assert seen["eventConfigurations"]["THING_GROUP_MEMBERSHIP"] == {"Enabled": True}
    assert seen["eventConfigurations"]["THING_TYPE"] == {"Enabled": False}
    assert "creationDate" in seen and "lastModifiedDate" in seen
    # with events on and no broker wired, registry operations still work
    iot.create_thing(thingName="evented")
    iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": False}})
    assert iot.describe_event_configurations()["eventConfigurations"]["THING"] == {"Enabled": False}
