"""The `ObjectSource` port: whole objects read for another service (a function's code package), with
GetObject's own checks and errors."""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.ports import ObjectSourceError
from headwater.services.s3.object_read import get_object
from headwater.services.s3.service import S3Core


class S3ObjectSource:
    def __init__(self, core: S3Core) -> None:
        self.core = core

    async def read_object(
        self, account: str, bucket: str, key: str, version: str | None = None, limit: int = 0
    ) -> bytes:
        ctx = RequestContext(account, self.core.config.region, "object-source", protocol="rest-xml")
        params = {"Bucket": bucket, "Key": key} | ({"VersionId": version} if version else {})
        try:
            result = await get_object(self.core, params, ctx)
        except AwsError as error:
            raise ObjectSourceError(error.code, error.message) from None
        body = result["Body"]
        if limit and body.length > limit:
            if body.close:
                body.close()
            raise ObjectSourceError("EntityTooLarge", f"the object is larger than {limit} bytes")
        chunks = [chunk async for chunk in body.chunks]
        if body.close:
            body.close()
        return b"".join(chunks)
