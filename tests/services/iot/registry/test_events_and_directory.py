"""In process: the registry events AWS IoT publishes (topics and payloads) through the broker's
EventPublisher, and the ThingDirectory the policy engine reads."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from headwater.engine.memory import MemoryEngine
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.iot.registry import api
from headwater.services.iot.registry.part import build_registry
from headwater.services.iot.registry.store import RegistryStore

CTX = RequestContext("123456789012", "eu-west-1", "req")
CERT = "arn:aws:iot:eu-west-1:123456789012:cert/" + "0f" * 32


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, dict[str, Any]]] = []

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None:
        self.sent.append((account, region, topic, json.loads(payload)))


class Core:
    def __init__(self, registry: RegistryStore) -> None:
        self.registry = registry


async def call(core: Core, operation: str, **params: Any) -> Any:
    return await api.OPERATIONS[operation](core, params, CTX)


def test_events_follow_the_configuration() -> None:
    async def run() -> None:
        engine = MemoryEngine()
        store, _ = build_registry(engine.meta, engine.ordered, TestClock())
        recorder = Recorder()
        store.publisher = recorder
        core = Core(store)
        await call(core, "CreateThing", thingName="quiet")
        assert recorder.sent == []  # off by default
        kinds = ["THING", "THING_TYPE", "THING_GROUP", "THING_GROUP_MEMBERSHIP", "THING_GROUP_HIERARCHY"]
        await call(
            core,
            "UpdateEventConfigurations",
            eventConfigurations={kind: {"Enabled": True} for kind in [*kinds, "THING_TYPE_ASSOCIATION"]},
        )
        await call(core, "CreateThingType", thingTypeName="lamp")
        await call(
            core,
            "CreateThing",
            thingName="t1",
            thingTypeName="lamp",
            attributePayload={"attributes": {"a": "1"}},
        )
        await call(core, "UpdateThing", thingName="t1", attributePayload={"attributes": {"a": "2"}})
        await call(core, "CreateThingGroup", thingGroupName="root")
        await call(core, "CreateThingGroup", thingGroupName="child", parentGroupName="root")
        await call(core, "AddThingToThingGroup", thingGroupName="child", thingName="t1")
        await call(core, "RemoveThingFromThingGroup", thingGroupName="child", thingName="t1")
        await call(core, "DeleteThing", thingName="t1")
        topics = [topic for _, _, topic, _ in recorder.sent]
        assert topics == [
            "$aws/events/thingType/lamp/created",
            "$aws/events/thing/t1/created",
            "$aws/events/thingTypeAssociation/thing/t1/lamp",
            "$aws/events/thing/t1/updated",
            "$aws/events/thingGroup/root/created",
            "$aws/events/thingGroup/child/created",
            "$aws/events/thingGroupHierarchy/thingGroup/root/childThingGroup/child/added",
            "$aws/events/thingGroupMembership/thingGroup/child/thing/t1/added",
            "$aws/events/thingGroupMembership/thingGroup/child/thing/t1/removed",
            "$aws/events/thing/t1/deleted",
        ]
        by_topic = {topic: payload for _, _, topic, payload in recorder.sent}
        created = by_topic["$aws/events/thing/t1/created"]
        assert created["eventType"] == "THING_EVENT" and created["operation"] == "CREATED"
        assert created["accountId"] == "123456789012" and created["versionNumber"] == 1
        assert created["thingTypeName"] == "lamp" and created["attributes"] == {"a": "1"}
        assert by_topic["$aws/events/thing/t1/updated"]["versionNumber"] == 2
        child = by_topic["$aws/events/thingGroup/child/created"]
        assert child["parentGroupName"] == "root" and len(child["rootToParentThingGroups"]) == 1
        added = by_topic["$aws/events/thingGroupMembership/thingGroup/child/thing/t1/added"]
        assert added["eventType"] == "THING_GROUP_MEMBERSHIP_EVENT" and added["operation"] == "ADDED"
        assert added["groupArn"] == "arn:aws:iot:eu-west-1:123456789012:thinggroup/child"
        association = by_topic["$aws/events/thingTypeAssociation/thing/t1/lamp"]
        assert association["eventType"] == "THING_TYPE_ASSOCIATION_EVENT" and "accountId" not in association
        assert all(
            account == "123456789012" and region == "eu-west-1" for account, region, _, _ in recorder.sent
        )

    asyncio.run(run())


def test_directory_and_principal_hook() -> None:
    async def run() -> None:
        engine = MemoryEngine()
        store, directory = build_registry(engine.meta, engine.ordered, TestClock())
        core = Core(store)
        await call(core, "CreateThing", thingName="dev", attributePayload={"attributes": {"room": "hall"}})
        await call(core, "CreateThingGroup", thingGroupName="site")
        await call(core, "CreateThingGroup", thingGroupName="floor", parentGroupName="site")
        await call(core, "AddThingToThingGroup", thingGroupName="floor", thingName="dev")
        await call(
            core,
            "AttachThingPrincipal",
            thingName="dev",
            principal=CERT,
            thingPrincipalType="EXCLUSIVE_THING",
        )
        info = directory.thing("123456789012", "eu-west-1", "dev")
        assert info is not None and info.attributes == {"room": "hall"} and info.type_name is None
        assert info.arn == "arn:aws:iot:eu-west-1:123456789012:thing/dev"
        assert directory.thing("123456789012", "us-east-1", "dev") is None
        assert directory.things_of_principal("123456789012", "eu-west-1", CERT) == ["dev"]
        assert directory.is_exclusively_attached("123456789012", "eu-west-1", CERT, "dev")
        assert directory.groups_of_thing("123456789012", "eu-west-1", "dev") == [
            "arn:aws:iot:eu-west-1:123456789012:thinggroup/floor",
            "arn:aws:iot:eu-west-1:123456789012:thinggroup/site",
        ]
        # the certificate store's hook decides whether a principal exists
        store.principal_exists = lambda account, region, arn: arn == CERT
        await call(core, "CreateThing", thingName="other")
        try:
            await call(core, "AttachThingPrincipal", thingName="other", principal=CERT.replace("0f", "aa"))
            raise AssertionError("an unknown certificate must not attach")
        except Exception as error:  # AwsError
            assert getattr(error, "code", None) == "ResourceNotFoundException"

    asyncio.run(run())
