"""The registry's operations, each bound to the registry part of the iot core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from headwater.services.context import RequestContext
from headwater.services.iot.registry import (
    billing,
    events,
    groups,
    membership,
    principals,
    tagging,
    thing_types,
    things,
)
from headwater.services.iot.registry.store import RegistryStore

Doc = dict[str, Any]
Operation = Callable[[RegistryStore, Doc, RequestContext], Awaitable[Doc]]


class HasRegistry(Protocol):
    registry: RegistryStore


def _on_registry(operation: Operation) -> Callable[[HasRegistry, Doc, RequestContext], Awaitable[Doc]]:
    def bound(core: HasRegistry, params: Doc, ctx: RequestContext) -> Awaitable[Doc]:
        return operation(core.registry, params, ctx)

    return bound


_TABLE: dict[str, Operation] = {
    "CreateThing": things.create_thing,
    "DescribeThing": things.describe_thing,
    "UpdateThing": things.update_thing,
    "DeleteThing": things.delete_thing,
    "ListThings": things.list_things,
    "CreateThingType": thing_types.create_thing_type,
    "DescribeThingType": thing_types.describe_thing_type,
    "ListThingTypes": thing_types.list_thing_types,
    "UpdateThingType": thing_types.update_thing_type,
    "DeprecateThingType": thing_types.deprecate_thing_type,
    "DeleteThingType": thing_types.delete_thing_type,
    "CreateThingGroup": groups.create_thing_group,
    "DescribeThingGroup": groups.describe_thing_group,
    "UpdateThingGroup": groups.update_thing_group,
    "DeleteThingGroup": groups.delete_thing_group,
    "ListThingGroups": groups.list_thing_groups,
    "AddThingToThingGroup": membership.add_thing_to_thing_group,
    "RemoveThingFromThingGroup": membership.remove_thing_from_thing_group,
    "UpdateThingGroupsForThing": membership.update_thing_groups_for_thing,
    "ListThingsInThingGroup": membership.list_things_in_thing_group,
    "ListThingGroupsForThing": membership.list_thing_groups_for_thing,
    "CreateBillingGroup": billing.create_billing_group,
    "DescribeBillingGroup": billing.describe_billing_group,
    "UpdateBillingGroup": billing.update_billing_group,
    "DeleteBillingGroup": billing.delete_billing_group,
    "ListBillingGroups": billing.list_billing_groups,
    "AddThingToBillingGroup": billing.add_thing_to_billing_group,
    "RemoveThingFromBillingGroup": billing.remove_thing_from_billing_group,
    "ListThingsInBillingGroup": billing.list_things_in_billing_group,
    "AttachThingPrincipal": principals.attach_thing_principal,
    "DetachThingPrincipal": principals.detach_thing_principal,
    "ListThingPrincipals": principals.list_thing_principals,
    "ListThingPrincipalsV2": principals.list_thing_principals_v2,
    "ListPrincipalThings": principals.list_principal_things,
    "ListPrincipalThingsV2": principals.list_principal_things_v2,
    "TagResource": tagging.tag_resource,
    "UntagResource": tagging.untag_resource,
    "ListTagsForResource": tagging.list_tags_for_resource,
    "UpdateEventConfigurations": events.update_event_configurations,
    "DescribeEventConfigurations": events.describe_event_configurations,
}

OPERATIONS: dict[str, Callable[..., Awaitable[Any]]] = {name: _on_registry(op) for name, op in _TABLE.items()}
