"""The upstream Kinesis API of edge mode's stream forwarding: PutRecords over HTTP(S), signed SigV4
with botocore's signer, to another Headwater or to AWS (`kinesis.<region>.amazonaws.com`)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import Session

from headwater.config import EdgeConfig
from headwater.services.ports import StreamRecord

TARGET = "Kinesis_20131202.PutRecords"
TIMEOUT_S = 30.0


class UpstreamError(Exception):
    """A PutRecords call that took none of its records (unreachable, refused, throttled as a whole)."""


class KinesisUpstream:
    def __init__(self, config: EdgeConfig, default_region: str) -> None:
        self.region = config.kinesis_region or default_region
        self.endpoint = config.kinesis_endpoint or f"https://kinesis.{self.region}.amazonaws.com"
        self._config = config
        self._credentials: Credentials | None = None
        self._http = httpx.AsyncClient(timeout=TIMEOUT_S)

    async def close(self) -> None:
        await self._http.aclose()

    async def _frozen(self) -> ReadOnlyCredentials:
        config = self._config
        if self._credentials is None:
            if config.kinesis_access_key_id and config.kinesis_secret_access_key:
                self._credentials = Credentials(
                    config.kinesis_access_key_id,
                    config.kinesis_secret_access_key,
                    config.kinesis_session_token,
                )
            else:  # the environment, shared files, an instance role: may block on the network
                session = Session(profile=config.kinesis_profile)
                self._credentials = await asyncio.to_thread(session.get_credentials)
                if self._credentials is None:
                    raise UpstreamError(
                        "no AWS credentials for the upstream Kinesis API (config or environment)"
                    )
        credentials = self._credentials
        return await asyncio.to_thread(credentials.get_frozen_credentials)  # a refresh may block

    async def put_records(self, stream: str, records: Sequence[StreamRecord]) -> list[str | None]:
        """Each record's error code (None: stored), in order. Raises UpstreamError when the call
        as a whole failed."""
        body = json.dumps(
            {
                "StreamName": stream,
                "Records": [
                    {"Data": base64.b64encode(r.data).decode(), "PartitionKey": r.partition_key}
                    for r in records
                ],
            }
        ).encode()
        url = self.endpoint + "/"
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
        )
        SigV4Auth(await self._frozen(), "kinesis", self.region).add_auth(request)
        try:
            response = await self._http.post(url, content=body, headers=dict(request.headers.items()))
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{self.endpoint}: {type(exc).__name__}: {exc}") from None
        document = _json(response.content)
        if response.status_code != 200:
            code = str(document.get("__type", "")).rpartition("#")[2] or f"HTTP {response.status_code}"
            message = document.get("message") or document.get("Message") or ""
            raise UpstreamError(f"{code}: {message}" if message else code)
        results = document.get("Records")
        if not isinstance(results, list) or len(results) != len(records):
            raise UpstreamError(f"{self.endpoint}: an unexpected PutRecords answer")
        return [r.get("ErrorCode") if isinstance(r, dict) else "InternalFailure" for r in results]


def _json(content: bytes) -> dict[str, Any]:
    try:
        document = json.loads(content or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
