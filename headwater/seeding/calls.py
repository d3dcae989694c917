"""Calling a service operation in-process exactly as a client's request would reach it.

A seed entry's parameters go through three checks before the operation sees them: botocore's own
client-side parameter validation (unknown members and wrong types, worded as boto3 words them),
then the gateway's model rules (`protocol.request_checks`: AWS's ValidationException messages for
JSON services, missing required members for SQS), then the operation itself. S3 speaks REST-XML,
whose requests carry no model validation beyond the operation's own checks, as on AWS.

Control-plane rate limits (`--limits on`) answer some calls with a throttling error; SDKs retry
those, and so does the seeder, for a few seconds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from botocore.validate import ParamValidator

from headwater.protocol import request_checks
from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.services.base import Service
from headwater.services.context import RequestContext

_THROTTLED = frozenset({"ThrottlingException", "Throttling", "RequestLimitExceeded", "SlowDown"})
RETRY_FOR_S = 10.0


class ServiceLookup(Protocol):
    """What the seeder needs of the built services (the registry's `Services`)."""

    def get(self, name: str) -> Service | None: ...


class SeedCallError(Exception):
    """A call the seed asked for failed: `code` is AWS's error code (or a client-side one)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _throttled(error: AwsError) -> bool:
    return error.code in _THROTTLED or (
        error.code == "LimitExceededException" and error.message.startswith("Rate exceeded")
    )


class Caller:
    """Operations of one account and region, called as `await call("sqs", "CreateQueue", {...})`."""

    def __init__(
        self,
        services: ServiceLookup,
        account: str,
        region: str,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.services = services
        self.account = account
        self.region = region
        self._sleep = sleep

    def context(self) -> RequestContext:
        return RequestContext(self.account, self.region, request_id=str(uuid.uuid4()))

    def check(self, service: str, operation: str, params: dict[str, Any]) -> None:
        """What would refuse these params before the operation runs: botocore's client-side
        validation (as boto3 before sending), then the gateway's model rules."""
        model = self._service(service).model
        op = operation_model(model, operation)
        if op.input_shape is None:
            return
        report = ParamValidator().validate(params, op.input_shape)
        if report.has_errors():
            # "Parameter validation failed:\nUnknown parameter in input: ..." -> one line
            lines = report.generate_report().splitlines()
            raise SeedCallError("ParamValidation", "; ".join(line.strip() for line in lines if line.strip()))
        try:
            if op.service_model.protocol != "rest-xml":
                request_checks.check(op, params)
        except AwsError as error:
            raise SeedCallError(error.code, error.message) from None

    async def __call__(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        built = self._service(service)
        self.check(service, operation, params)
        handler = built.operation(operation)
        if handler is None:
            raise SeedCallError("UnsupportedOperation", f"{service} has no operation {operation}")
        waited = 0.0
        while True:
            try:
                result = await handler(dict(params), self.context())
            except AwsError as error:
                if _throttled(error) and waited < RETRY_FOR_S:
                    await self._sleep(0.25)
                    waited += 0.25
                    continue
                raise SeedCallError(error.code, error.message) from None
            return result if isinstance(result, dict) else {}

    def _service(self, name: str) -> Service:
        service = self.services.get(name)
        if service is None:
            raise SeedCallError("UnknownService", f"this server runs no {name} service")
        return service
