"""OpenSearch / Elasticsearch / OpenSearch Serverless destination: `_bulk` indexing.

Theory of operation
-------------------
A buffer is one `POST <endpoint>/_bulk` (`Content-Type: application/x-ndjson`): per record an
action line `{"index":{"_index":...,"_type":...,"_id":...}}` and the record as the document
line. The index is IndexName plus the IndexRotationPeriod suffix of the record's UTC arrival time
(`index_name`). `_type` is sent only when TypeName is set (Elasticsearch 6 and older use it).
With DocumentIdOptions FIREHOSE_DEFAULT (the default) `_id` is the record's Firehose id, stable
across attempts so a retry overwrites instead of duplicating; NO_DOCUMENT_ID leaves `_id` out and
the cluster picks one.

A failed request (connection error, 429, 5xx or any non-2xx) is retried whole; in a 200 answer
the items whose status is 429 or 5xx are retried alone, the others failed at once. Retries follow
the `Backoff` schedule until RetryOptions.DurationInSeconds (default 300 s) is spent; what is
left comes back as "AmazonOpenSearchService-failed" failures whose documents carry esDocumentId,
esIndexName and esTypeName.

The endpoint is ClusterEndpoint (or CollectionEndpoint for Serverless). Headwater cannot assume
an IAM role into a third-party cluster, so requests are not SigV4-signed; user:password in the
endpoint URL is sent as basic auth.
"""

from __future__ import annotations

import datetime as dt
import json
import random
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

ERROR_OUTPUT_TYPE = "AmazonOpenSearchService-failed"
DEFAULT_RETRY_SECONDS = 300
DEFAULT_ROTATION = "OneDay"  # the API's documented default


def us_week(day: dt.date) -> tuple[int, int]:
    """(week-based year, week) with AWS's US convention: weeks start on Sunday and week 1 is the
    week holding January 1st (the first week with a Saturday in the year)."""
    start = day - dt.timedelta(days=(day.weekday() + 1) % 7)
    year = (start + dt.timedelta(days=6)).year
    jan1 = dt.date(year, 1, 1)
    first = jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7)
    return year, (start - first).days // 7 + 1


def index_name(index: str, rotation: str, at_ms: int) -> str:
    """IndexName with the rotation suffix AWS appends for the UTC arrival time."""
    at = dt.datetime.fromtimestamp(at_ms / 1000, tz=dt.UTC)
    if rotation == "OneHour":
        return f"{index}-{at:%Y-%m-%d-%H}"
    if rotation == "OneDay":
        return f"{index}-{at:%Y-%m-%d}"
    if rotation == "OneWeek":
        year, week = us_week(at.date())
        return f"{index}-{year}-w{week:02d}"
    if rotation == "OneMonth":
        return f"{index}-{at:%Y-%m}"
    return index


def _document(data: bytes) -> bytes:
    """The record as one NDJSON line: a pretty-printed JSON document is compacted (a newline
    inside would split it); anything else goes as is and the cluster judges it."""
    line = data.strip()
    if b"\n" in line or b"\r" in line:
        try:
            line = json.dumps(json.loads(line), separators=(",", ":")).encode()
        except ValueError:
            line = line.replace(b"\r", b" ").replace(b"\n", b" ")
    return line


class OpenSearchDestination(ReportsAttempts):
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        endpoint = config.get("ClusterEndpoint") or config.get("CollectionEndpoint")
        if not endpoint:
            raise ValueError(
                "Headwater delivers to OpenSearch through ClusterEndpoint (or CollectionEndpoint):"
                " a DomainARN cannot be resolved to a cluster."
            )
        self.url = f"{str(endpoint).rstrip('/')}/_bulk"
        self.index = str(config["IndexName"])
        self.type_name = str(config.get("TypeName") or "")
        serverless = "CollectionEndpoint" in config and "ClusterEndpoint" not in config
        rotation = "NoRotation" if serverless else config.get("IndexRotationPeriod")
        self.rotation: str = str(rotation or DEFAULT_ROTATION)
        id_options = config.get("DocumentIdOptions") or {}
        self.document_ids = id_options.get("DefaultDocumentIdFormat") != "NO_DOCUMENT_ID"
        self.retry_seconds = retry_duration(config, DEFAULT_RETRY_SECONDS)
        self.clock = clock
        self.rng = rng
        self.client = client or httpx.AsyncClient(timeout=120.0)

    async def aclose(self) -> None:
        await self.client.aclose()

    def action(self, record: Record) -> dict[str, Any]:
        meta: dict[str, Any] = {"_index": index_name(self.index, self.rotation, record.arrival_ms)}
        if self.type_name:
            meta["_type"] = self.type_name
        if self.document_ids:
            meta["_id"] = record.record_id
        return {"index": meta}

    def bulk_body(self, records: list[Record]) -> bytes:
        lines: list[bytes] = []
        for record in records:
            lines.append(json.dumps(self.action(record), separators=(",", ":")).encode())
            lines.append(_document(record.data))
        return b"\n".join(lines) + b"\n"

    async def deliver(self, records: list[Record], stream_arn: str) -> list[Failure]:
        pending = list(records)
        failures: list[Failure] = []
        backoff = Backoff(self.clock, self.retry_seconds, self.rng)
        while pending:
            retry, failed = await self._attempt(pending)
            for code, message in dict.fromkeys((c, m) for _, c, m in (*retry, *failed)):
                await self.attempt_failed(code, message)  # one event per distinct error
            failures.extend(self._failure(r, code, msg, backoff.attempts) for r, code, msg in failed)
            pending = [r for r, _, _ in retry]
            if pending and not await backoff.wait():
                failures.extend(self._failure(r, code, msg, backoff.attempts) for r, code, msg in retry)
                break
        return failures

    def _failure(self, record: Record, code: str, message: str, attempts: int) -> Failure:
        meta = self.action(record)["index"]
        return DestinationFailure(
            record,
            ERROR_OUTPUT_TYPE,
            code,
            message,
            attempts=attempts,
            document={
                "esDocumentId": meta.get("_id"),
                "esIndexName": meta["_index"],
                "esTypeName": self.type_name or None,
            },
        )

    async def _attempt(
        self, records: list[Record]
    ) -> tuple[list[tuple[Record, str, str]], list[tuple[Record, str, str]]]:
        """(records to retry, records failed for good), each with errorCode and errorMessage."""
        headers = {"Content-Type": "application/x-ndjson"}
        try:
            response = await self.client.post(self.url, content=self.bulk_body(records), headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            message = f"Error connecting to the cluster: {error}"
            return [(r, "OS.ConnectionFailed", message) for r in records], []
        if not 200 <= response.status_code < 300:
            message = f"Error received from the cluster: {response.text[:1024]}"
            return [(r, str(response.status_code), message) for r in records], []
        try:
            items = json.loads(response.content).get("items")
        except (ValueError, AttributeError):
            items = None
        if not isinstance(items, list) or len(items) != len(records):
            message = f"The cluster's _bulk answer is malformed: {response.text[:1024]}"
            return [(r, "OS.InvalidResponse", message) for r in records], []
        retry: list[tuple[Record, str, str]] = []
        failed: list[tuple[Record, str, str]] = []
        for record, item in zip(records, items, strict=True):
            result: Any = next(iter(item.values()), {}) if isinstance(item, dict) else {}
            if not isinstance(result, dict):
                result = {}
            status = result.get("status", 500)
            if isinstance(status, int) and 200 <= status < 300:
                continue
            reason = json.dumps(result.get("error"), separators=(",", ":"))
            entry = (record, str(status), reason)
            retryable = not isinstance(status, int) or status == 429 or status >= 500
            (retry if retryable else failed).append(entry)
        return retry, failed
