"""HEAD over HTTP/2: no answer carries a body, whichever front end gives it (HTTP/2 forbids DATA
on a HEAD answer, and a client that gets one resets the stream with PROTOCOL_ERROR)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support.server import Server

# (path, headers): an admin route, the index, JSON (SQS, Kinesis, KMS), a Query service (STS)
# and an S3 bucket; known and unknown, so both answers and errors are covered
CASES = [
    ("/_headwater/health", {}),
    ("/_headwater/", {}),
    ("/_headwater/no-such-route", {}),
    ("/", {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}),
    ("/", {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"}),
    ("/", {"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"}),
    ("/?Action=GetCallerIdentity&Version=2011-06-15", {}),
    ("/?Action=ListQueues&Version=2012-11-05", {}),
    ("/no-such-bucket", {}),
]


@pytest.mark.parametrize(("path", "headers"), CASES)
def test_head_answers_have_no_body_over_h2c(
    server: Server, endpoint: str, path: str, headers: dict[str, str]
) -> None:
    # http1=False: HTTP/2 with prior knowledge over plain TCP (h2c), as the Java SDK v2 speaks it
    with httpx.Client(http1=False, http2=True, timeout=10) as client:
        response = client.head(endpoint + path, headers=headers)
        assert response.http_version == "HTTP/2"
        assert response.content == b""
        # the connection survived the answer: a GET on it still works
        health = client.get(endpoint + "/_headwater/health")
        assert health.status_code == 200 and health.content


def test_get_answers_keep_their_body_over_h2c(endpoint: str) -> None:
    with httpx.Client(http1=False, http2=True, timeout=10) as client:
        head = client.head(endpoint + "/_headwater/health")
        get = client.get(endpoint + "/_headwater/health")
    assert get.content and head.content == b""
    assert head.status_code == get.status_code == 200
