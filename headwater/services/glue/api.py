"""The Glue Data Catalog operations Headwater serves (botocore's `glue` model, AWS JSON 1.1)."""

from __future__ import annotations

from headwater.services.glue import databases, partitions, tables
from headwater.services.glue.core import GlueCore
from headwater.services.operations import ServiceApi

OPERATIONS = {**databases.OPERATIONS, **tables.OPERATIONS, **partitions.OPERATIONS}


def glue_api(core: GlueCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
