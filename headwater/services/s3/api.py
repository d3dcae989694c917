"""Amazon S3: the operation table, gathered from the modules that implement each area.

Each module exports `OPERATIONS: dict[str, Handler]`; a handler is `async (core, params, ctx)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.operations import ServiceApi
from headwater.services.s3 import buckets, listing, multipart, objects, post_upload
from headwater.services.s3.select import operation as select
from headwater.services.s3.service import S3Core

Handler = Callable[[S3Core, dict[str, Any], RequestContext], Awaitable[Any]]


def _operations() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for module in (buckets, objects, listing, multipart, post_upload, select):
        overlap = table.keys() & module.OPERATIONS.keys()
        assert not overlap, f"{module.__name__} redefines {overlap}"
        table.update(module.OPERATIONS)
    return table


OPERATIONS = _operations()


class S3Api(ServiceApi):
    def __init__(self, core: S3Core) -> None:
        super().__init__(core, OPERATIONS)
