"""Splunk destination: the HTTP Event Collector (HEC), event or raw endpoint, with indexer
acknowledgements.

Theory of operation
-------------------
A buffer is one POST to `<HECEndpoint>/services/collector/event` (HECEndpointType Event) or
`.../services/collector/raw` (Raw) with `Authorization: Splunk <HECToken>` and
`X-Splunk-Request-Channel: <GUID>` (one channel per destination, as indexer acknowledgement needs
it). Raw sends the records concatenated as they are. Event sends HEC event objects: a record that
already is one (a JSON object with an "event" member, what Splunk's Firehose Lambda blueprints
produce) goes as is, any other record is wrapped as `{"event": "<its text>"}`; the objects are
concatenated, as HEC accepts.

Firehose requires indexer acknowledgement: HEC answers `{"text":"Success","code":0,"ackId":N}`
and the destination polls `POST /services/collector/ack` with `{"acks":[N]}` once a second until
`{"acks":{"N":true}}`. No acknowledgement within HECAcknowledgmentTimeoutInSeconds (default 180)
counts as a failed attempt (the data may still have been indexed: duplicates, as AWS documents).
Failed attempts are retried on the `Backoff` schedule until RetryOptions.DurationInSeconds
(default 60) is spent, not counting the time spent waiting for acknowledgements, then the records
come back as "splunk-failed" failures whose documents carry `EventId`.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from headwater.runtime.clock import Clock
from headwater.services.firehose.destinations.retry import (
    Backoff,
    DestinationFailure,
    ReportsAttempts,
    retry_duration,
)
from headwater.services.firehose.records import Failure, Record

ERROR_OUTPUT_TYPE = "splunk-failed"
DEFAULT_RETRY_SECONDS = 60
DEFAULT_ACK_TIMEOUT = 180
ACK_POLL_SECONDS = 1.0


class SplunkError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _hec_error(status: int, answer: Any, text: str) -> SplunkError:
    hec_code = answer.get("code") if isinstance(answer, dict) else None
    if status in (401, 403) or hec_code in (2, 3, 4):
        return SplunkError("Splunk.InvalidToken", f"The HEC token is invalid: {text}")
    if hec_code == 1:
        return SplunkError("Splunk.DisabledToken", f"The HEC token is disabled: {text}")
    if hec_code == 7:
        return SplunkError("Splunk.InvalidIndex", f"The index is invalid: {text}")
    if hec_code in (5, 6, 12):
        return SplunkError("Splunk.InvalidDataFormat", f"The data is not formatted correctly: {text}")
    if status == 503 or hec_code == 9:
        return SplunkError("Splunk.IndexerBusy", f"The Splunk indexers are busy: {text}")
    return SplunkError("Splunk.ServerError", f"Splunk answered {status}: {text}")


def event_body(records: list[Record]) -> bytes:
    parts: list[bytes] = []
    for record in records:
        try:
            value = json.loads(record.data)
        except ValueError:
            value = None
        if isinstance(value, dict) and "event" in value:
            parts.append(record.data.strip())
        else:
            text = record.data.decode("utf-8", "replace")
            parts.append(json.dumps({"event": text}, separators=(",", ":")).encode())
    return b"".join(parts)


class SplunkDestination(ReportsAttempts):
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.raw = config.get("HECEndpointType") == "Raw"
        base = str(config["HECEndpoint"]).rstrip("/")
        self.url = f"{base}/services/collector/{'raw' if self.raw else 'event'}"
        self.ack_url = f"{base}/services/collector/ack"
        self.token = str(config.get("HECToken") or "")
        self.channel = str(uuid.uuid4())
        self.ack_timeout = float(config.get("HECAcknowledgmentTimeoutInSeconds") or DEFAULT_ACK_TIMEOUT)
        self.retry_seconds = retry_duration(config, DEFAULT_RETRY_SECONDS)
        self.clock = clock
        self.rng = rng
        self.client = client or httpx.AsyncClient(timeout=self.ack_timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Splunk {self.token}",
            "X-Splunk-Request-Channel": self.channel,
            "Content-Type": "text/plain" if self.raw else "application/json",
        }

    async def deliver(self, records: list[Record], stream_arn: str) -> list[Failure]:
        if not records:
            return []
        body = b"".join(r.data for r in records) if self.raw else event_body(records)
        backoff = Backoff(self.clock, self.retry_seconds, self.rng)
        while True:
            try:
                ack_id = await self._send(body)
                started = self.clock.now()
                try:
                    await self._await_ack(ack_id)
                finally:  # acknowledgement waits do not count against RetryOptions
                    backoff.exclude(self.clock.now() - started)
                return []
            except SplunkError as error:
                await self.attempt_failed(error.code, error.message)
                if not await backoff.wait():
                    return [self._failure(r, error, backoff.attempts) for r in records]

    def _failure(self, record: Record, error: SplunkError, attempts: int) -> Failure:
        return DestinationFailure(
            record,
            ERROR_OUTPUT_TYPE,
            error.code,
            error.message,
            attempts=attempts,
            document={"EventId": record.record_id},
        )

    async def _send(self, body: bytes) -> int:
        try:
            response = await self.client.post(self.url, content=body, headers=self.headers)
        except httpx.TimeoutException as error:
            raise SplunkError("Splunk.ConnectionTimeout", f"Timed out: {error}") from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise SplunkError("Splunk.ConnectionClosed", f"Could not connect: {error}") from error
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        text = response.text[:1024]
        if response.status_code != 200 or not isinstance(answer, dict) or answer.get("code"):
            raise _hec_error(response.status_code, answer, text)
        ack_id = answer.get("ackId")
        if not isinstance(ack_id, int):
            raise SplunkError(
                "Splunk.InvalidEndpoint",
                "The HEC answer has no ackId: enable indexer acknowledgement on the HEC token.",
            )
        return ack_id

    async def _await_ack(self, ack_id: int) -> None:
        deadline = self.clock.now() + self.ack_timeout
        body = json.dumps({"acks": [ack_id]}).encode()
        while True:
            try:
                response = await self.client.post(self.ack_url, content=body, headers=self.headers)
                answer = json.loads(response.content) if response.status_code == 200 else None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError):
                answer = None
            acks = answer.get("acks") if isinstance(answer, dict) else None
            if isinstance(acks, dict) and acks.get(str(ack_id)) is True:
                return
            if self.clock.now() >= deadline:
                raise SplunkError(
                    "Splunk.AckTimeout",
                    "Did not receive an acknowledgement from HEC before the HEC acknowledgement "
                    "timeout expired.",
                )
            await self.clock.sleep(min(ACK_POLL_SECONDS, max(0.0, deadline - self.clock.now())))
