"""The registry survives kill -9: things, types, groups and their hierarchy, memberships,
billing groups, principals, tags and the event settings."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server


def test_registry_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        iot = client_for(server.endpoint, "iot")
        iot.create_thing_type(thingTypeName="meter", thingTypeProperties={"searchableAttributes": ["site"]})
        iot.create_billing_group(billingGroupName="paid")
        iot.create_thing_group(thingGroupName="site")
        iot.create_thing_group(
            thingGroupName="floor", parentGroupName="site", tags=[{"Key": "k", "Value": "v"}]
        )
        for i in range(120):
            iot.create_thing(
                thingName=f"m{i:03}", thingTypeName="meter", attributePayload={"attributes": {"n": str(i)}}
            )
        made = iot.create_thing(thingName="gone")
        iot.delete_thing(thingName="gone")
        iot.update_thing(thingName="m000", attributePayload={"attributes": {"n": "x"}, "merge": True})
        iot.add_thing_to_thing_group(thingGroupName="floor", thingName="m001")
        iot.add_thing_to_billing_group(billingGroupName="paid", thingName="m002")
        CERT = iot.create_keys_and_certificate()["certificateArn"]  # noqa: N806
        iot.attach_thing_principal(thingName="m003", principal=CERT, thingPrincipalType="EXCLUSIVE_THING")
        iot.deprecate_thing_type(thingTypeName="meter")
        iot.update_event_configurations(eventConfigurations={"THING": {"Enabled": True}})
        server.kill()

        server = durable_server(data_dir).start()
        iot = client_for(server.endpoint, "iot")
        seen = iot.describe_thing(thingName="m000")
        assert seen["version"] == 2 and seen["attributes"] == {"n": "x"} and seen["thingTypeName"] == "meter"
        pages = iot.get_paginator("list_things").paginate(PaginationConfig={"PageSize": 50})
        assert [t["thingName"] for p in pages for t in p["things"]] == [f"m{i:03}" for i in range(120)]
        assert len(iot.list_things(thingTypeName="meter", maxResults=250)["things"]) == 120
        assert iot.describe_thing_type(thingTypeName="meter")["thingTypeMetadata"]["deprecated"] is True
        floor = iot.describe_thing_group(thingGroupName="floor")
        assert floor["thingGroupMetadata"]["rootToParentThingGroups"][0]["groupName"] == "site"
        assert iot.list_tags_for_resource(resourceArn=floor["thingGroupArn"])["tags"] == [
            {"Key": "k", "Value": "v"}
        ]
        assert iot.list_things_in_thing_group(thingGroupName="site", recursive=True)["things"] == ["m001"]
        assert iot.describe_thing(thingName="m002")["billingGroupName"] == "paid"
        assert iot.list_things_in_billing_group(billingGroupName="paid")["things"] == ["m002"]
        assert iot.list_principal_things_v2(principal=CERT)["principalThingObjects"] == [
            {"thingName": "m003", "thingPrincipalType": "EXCLUSIVE_THING"}
        ]
        assert iot.describe_event_configurations()["eventConfigurations"]["THING"] == {"Enabled": True}
        again = iot.create_thing(thingName="gone")
        assert again["thingId"] != made["thingId"]
    finally:
        server.stop()
