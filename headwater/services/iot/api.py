"""The `iot` control-plane operations Headwater serves (botocore's `iot` model, REST-JSON): each
part's module lists its own, merged here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.iot.authz import operations as authz_operations
from headwater.services.iot.core import IotCore
from headwater.services.iot.registry import api as registry_api
from headwater.services.iot.rules.api import OPERATIONS as RULES_OPERATIONS
from headwater.services.iot.security.api import OPERATIONS as SECURITY_OPERATIONS
from headwater.services.operations import ServiceApi

OPERATIONS: dict[str, Callable[..., Awaitable[Any]]] = {}
OPERATIONS.update(authz_operations.OPERATIONS)
OPERATIONS.update(registry_api.OPERATIONS)
OPERATIONS.update(SECURITY_OPERATIONS)
OPERATIONS.update(RULES_OPERATIONS)
# last: changes through the API drop the policy engine's cached decisions
OPERATIONS = authz_operations.invalidating(OPERATIONS)


def iot_api(core: IotCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
