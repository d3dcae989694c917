"""DescribeEndpoint (the names are made in `endpoints.py`)."""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.iot.security import endpoints
from headwater.services.iot.security.part import SecurityHost


async def describe_endpoint(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    return endpoints.describe(params, ctx.account, ctx.region, core.security.subdomains)


OPERATIONS = {"DescribeEndpoint": describe_endpoint}
