"""HTTP endpoint destination: AWS's HTTP endpoint delivery request/response specification v1.0.

Theory of operation
-------------------
One buffer becomes one POST per 10,000 records to `EndpointConfiguration.Url` with the body
`{"requestId", "timestamp" (ms), "records": [{"data": base64}]}` (gzip-compressed, with
`Content-Encoding: gzip`, when `RequestConfiguration.ContentEncoding` is GZIP) and the headers
`X-Amz-Firehose-Protocol-Version: 1.0`, `X-Amz-Firehose-Request-Id`, `X-Amz-Firehose-Source-Arn`,
`X-Amz-Firehose-Access-Key` (the AccessKey verbatim, when set) and
`X-Amz-Firehose-Common-Attributes: {"commonAttributes": {...}}` (when CommonAttributes are set).

Only a 200 whose JSON body carries the same `requestId` is success; a 200 that does not conform
counts as a failed attempt (as a 500 would). Every failure but 413 is retried with the same
request id and body, on the `Backoff` schedule, until RetryOptions.DurationInSeconds (default
300 s) is spent; the records then come back as "http-endpoint-failed" failures. A 413 is
permanent: AWS neither retries it nor writes the records to the error output, so they are counted
in `rejected_records` and dropped.

AWS only calls https URLs on port 443; Headwater also calls http and any port, so a local receiver
can be the destination.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import random
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from headwater.runtime.clock import Clock
from headwater.services.firehose.destinations.retry import Backoff, ReportsAttempts, retry_duration
from headwater.services.firehose.records import Failure, Record

log = logging.getLogger("headwater.firehose")

ERROR_OUTPUT_TYPE = "http-endpoint-failed"
MAX_RECORDS_PER_REQUEST = 10_000
DEFAULT_RETRY_SECONDS = 300
RESPONSE_TIMEOUT = 180.0  # the endpoint has 3 minutes to answer


class HttpEndpointDestination(ReportsAttempts):
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        endpoint = config.get("EndpointConfiguration") or {}
        self.url: str = endpoint["Url"]
        self.name: str | None = endpoint.get("Name")
        self.access_key: str | None = endpoint.get("AccessKey")
        request = config.get("RequestConfiguration") or {}
        self.gzip = request.get("ContentEncoding") == "GZIP"
        self.common_attributes = {
            str(a["AttributeName"]): str(a.get("AttributeValue", ""))
            for a in request.get("CommonAttributes") or []
        }
        self.retry_seconds = retry_duration(config, DEFAULT_RETRY_SECONDS)
        self.clock = clock
        self.rng = rng
        self.client = client or httpx.AsyncClient(timeout=RESPONSE_TIMEOUT)
        self.rejected_records = 0  # dropped on a 413, as AWS does

    async def aclose(self) -> None:
        await self.client.aclose()

    async def deliver(self, records: list[Record], stream_arn: str) -> list[Failure]:
        failures: list[Failure] = []
        for start in range(0, len(records), MAX_RECORDS_PER_REQUEST):
            chunk = records[start : start + MAX_RECORDS_PER_REQUEST]
            failures.extend(await self._deliver_request(chunk, stream_arn))
        return failures

    def headers(self, request_id: str, stream_arn: str) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Firehose-Protocol-Version": "1.0",
            "X-Amz-Firehose-Request-Id": request_id,
            "X-Amz-Firehose-Source-Arn": stream_arn,
        }
        if self.gzip:
            headers["Content-Encoding"] = "gzip"
        if self.access_key:
            headers["X-Amz-Firehose-Access-Key"] = self.access_key
        if self.common_attributes:
            headers["X-Amz-Firehose-Common-Attributes"] = json.dumps(
                {"commonAttributes": self.common_attributes}, separators=(",", ":")
            )
        return headers

    def body(self, request_id: str, records: list[Record]) -> bytes:
        document = {
            "requestId": request_id,
            "timestamp": self.clock.now_ms(),
            "records": [{"data": base64.b64encode(r.data).decode("ascii")} for r in records],
        }
        raw = json.dumps(document, separators=(",", ":")).encode()
        return gzip.compress(raw) if self.gzip else raw

    async def _deliver_request(self, records: list[Record], stream_arn: str) -> list[Failure]:
        request_id = str(uuid.uuid4())
        headers = self.headers(request_id, stream_arn)
        body = self.body(request_id, records)  # the same bytes on every retry
        backoff = Backoff(self.clock, self.retry_seconds, self.rng)
        while True:
            code, message, status = await self._attempt(headers, body, request_id)
            if code is None:
                return []
            await self.attempt_failed(code, message)
            if status == 413:
                self.rejected_records += len(records)
                log.warning("%s: %s (not retried)", self.url, message)
                return []
            if not await backoff.wait():
                return [
                    Failure(r, ERROR_OUTPUT_TYPE, code, message, attempts=backoff.attempts) for r in records
                ]

    async def _attempt(
        self, headers: Mapping[str, str], body: bytes, request_id: str
    ) -> tuple[str | None, str, int | None]:
        """(None, "", 200) on success, else (errorCode, errorMessage, HTTP status or None)."""
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "HttpEndpoint.RequestTimeout", "The request to the endpoint timed out.", None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return "HttpEndpoint.ConnectionFailed", f"Unable to connect: {error}", None
        text = response.text[:1024]
        if response.status_code != 200:
            message = (
                "The following response was received from the endpoint destination. "
                f"{response.status_code}: {text}"
            )
            return "HttpEndpoint.DestinationException", message, response.status_code
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("requestId") != request_id:
            message = (
                "The response received from the endpoint is invalid. "
                f"See Troubleshooting HTTP Endpoints in the Firehose documentation: {text}"
            )
            return "HttpEndpoint.InvalidResponseFromDestination", message, 200
        return None, "", 200
