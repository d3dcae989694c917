"""Raw requests for what boto3 does not do: CBOR bodies and HTTP/2 (h2c prior knowledge)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

CREDENTIALS = Credentials("test", "test")


def signed_headers(
    endpoint: str, operation: str, body: bytes, content_type: str = "application/x-amz-json-1.1"
) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": content_type, "X-Amz-Target": f"Kinesis_20131202.{operation}"},
    )
    SigV4Auth(CREDENTIALS, "kinesis", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def h2c_client() -> httpx.Client:
    """HTTP/2 over cleartext with prior knowledge, as the AWS Java SDK v2 and the KCL speak it."""
    return httpx.Client(http1=False, http2=True, timeout=30)


def subscribe_events(
    client: httpx.Client, endpoint: str, consumer_arn: str, shard_id: str, position: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    body = json.dumps(
        {"ConsumerARN": consumer_arn, "ShardId": shard_id, "StartingPosition": position}
    ).encode()
    headers = signed_headers(endpoint, "SubscribeToShard", body)
    with client.stream("POST", endpoint, content=body, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.http_version == "HTTP/2"
        buffer = EventStreamBuffer()
        for chunk in response.iter_raw():
            buffer.add_data(chunk)
            for message in buffer:
                event_type = message.headers.get(":event-type") or message.headers.get(":exception-type")
                yield event_type, json.loads(message.payload or b"{}")
