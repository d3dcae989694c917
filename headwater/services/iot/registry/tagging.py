"""TagResource, UntagResource and ListTagsForResource over the ARN-keyed tag store, and the
registry's own taggable kinds."""

from __future__ import annotations

from headwater.services.context import RequestContext
from headwater.services.iot.registry.keys import Doc, namespace
from headwater.services.iot.registry.store import RegistryStore
from headwater.services.iot.registry.tags import Exists, tag_list, tag_map


def register_kinds(store: RegistryStore) -> None:
    def thing(account: str, region: str, name: str) -> bool:
        return store.thing(account, region, name) is not None

    def resident(table: dict[str, Doc]) -> Exists:
        return lambda account, region, name: namespace(account, region) + name in table

    store.tags.register("thing", thing)
    store.tags.register("thingtype", resident(store.types))
    store.tags.register("thinggroup", resident(store.groups))
    store.tags.register("billinggroup", resident(store.billing))


async def tag_resource(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    store.tags.resolve(params["resourceArn"])
    await store.tags.tag(params["resourceArn"], tag_map(params["tags"]))
    return {}


async def untag_resource(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    store.tags.resolve(params["resourceArn"])
    await store.tags.untag(params["resourceArn"], params["tagKeys"])
    return {}


async def list_tags_for_resource(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    store.tags.resolve(params["resourceArn"])
    return {"tags": tag_list(store.tags.get(params["resourceArn"]))}  # 50 at most: one page
