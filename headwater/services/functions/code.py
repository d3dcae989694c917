"""A function's code package: the zip from the request or from Headwater's S3, checked as Lambda
checks it."""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any, Protocol

from headwater.services.base import Ports
from headwater.services.context import RequestContext
from headwater.services.functions import errors
from headwater.services.ports import ObjectSource, ObjectSourceError

MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 262_144_000


class _Core(Protocol):
    ports: Ports


async def read_package(core: _Core, ctx: RequestContext, code: dict[str, Any]) -> bytes:
    """The zip named by a Code structure (ZipFile, or S3Bucket + S3Key [+ S3ObjectVersion])."""
    if code.get("ZipFile") is not None:
        package = bytes(code["ZipFile"])
    elif code.get("S3Bucket") and code.get("S3Key"):
        package = await _from_s3(core, ctx, code["S3Bucket"], code["S3Key"], code.get("S3ObjectVersion"))
    elif code.get("ImageUri"):
        raise errors.invalid("Headwater runs Zip packages only; container images are not supported.")
    else:
        raise errors.invalid("Please provide a source for function code.")
    validate_package(package)
    return package


async def _from_s3(core: _Core, ctx: RequestContext, bucket: str, key: str, version: str | None) -> bytes:
    source = core.ports.find(ObjectSource)
    if source is None:
        raise errors.invalid("Headwater's S3 is not running: code cannot be read from S3.")
    try:
        return await source.read_object(ctx.account, bucket, key, version, limit=MAX_ZIPPED)
    except ObjectSourceError as exc:
        if exc.code == "EntityTooLarge":
            raise errors.invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes") from None
        raise errors.invalid(
            f"Error occurred while GetObject. S3 Error Code: {exc.code}. S3 Error Message: {exc.message}"
        ) from None


def validate_package(package: bytes) -> None:
    if len(package) > MAX_ZIPPED:
        raise errors.AwsError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {MAX_ZIPPED + 19_922_944} bytes for the CreateFunction operation",
            413,
        )
    try:
        with zipfile.ZipFile(BytesIO(package)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise errors.invalid(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    if unzipped > MAX_UNZIPPED:
        raise errors.invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
