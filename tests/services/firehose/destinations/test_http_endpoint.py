"""The HTTP endpoint destination against a real loopback receiver: AWS's request/response
specification v1.0 byte for byte, the same request id across retries, 413 not retried, GZIP, the
access key and common attributes headers, the backoff on a TestClock."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import random
import uuid

from headwater.runtime.clock import TestClock
from headwater.services.firehose.destinations.http_endpoint import HttpEndpointDestination
from headwater.services.firehose.destinations.retry import Backoff
from headwater.services.firehose.records import Record
from tests.services.firehose.destinations.receiver import (
    Receiver,
    Request,
    advance_until,
    advance_until_done,
    json_answer,
)

ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/web"
RECORDS = [Record(f"id-{i}", f'{{"n":{i}}}\n'.encode(), 1_700_000_000_000) for i in range(3)]
RECORDS.append(Record("id-bin", bytes(range(256)), 1_700_000_000_000))


def config(url: str, **extra: object) -> dict[str, object]:
    return {"EndpointConfiguration": {"Url": url, "Name": "receiver"}, **extra}


def echo(request: Request, _: Receiver) -> tuple[int, bytes]:
    """A conforming endpoint: 200 with the request's id."""
    raw = request.body
    if request.headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    document = json.loads(raw)
    return json_answer(200, {"requestId": document["requestId"], "timestamp": 1})


def test_request_is_the_documented_one_byte_for_byte() -> None:
    async def main() -> None:
        clock = TestClock()
        async with Receiver(echo) as receiver:
            destination = HttpEndpointDestination(
                config(
                    receiver.url + "/ingest?tenant=a",
                    RequestConfiguration={
                        "CommonAttributes": [
                            {"AttributeName": "env", "AttributeValue": "test"},
                            {"AttributeName": "team", "AttributeValue": "data"},
                        ]
                    },
                    EndpointConfiguration={"Url": receiver.url + "/ingest?tenant=a", "AccessKey": "k3y=="},
                ),
                clock=clock,
            )
            failures = await destination.deliver(RECORDS, ARN)
            await destination.aclose()
        assert failures == []
        [request] = receiver.requests
        assert (request.method, request.path) == ("POST", "/ingest?tenant=a")
        headers = request.headers
        request_id = headers["x-amz-firehose-request-id"]
        assert str(uuid.UUID(request_id)) == request_id
        assert headers["x-amz-firehose-protocol-version"] == "1.0"
        assert headers["content-type"] == "application/json"
        assert headers["x-amz-firehose-source-arn"] == ARN
        assert headers["x-amz-firehose-access-key"] == "k3y=="
        assert json.loads(headers["x-amz-firehose-common-attributes"]) == {
            "commonAttributes": {"env": "test", "team": "data"}
        }
        assert "content-encoding" not in headers
        timestamp = request.json()["timestamp"]
        assert abs(timestamp - clock.now_ms()) < 60_000
        expected = {
            "requestId": request_id,
            "timestamp": timestamp,
            "records": [{"data": base64.b64encode(r.data).decode()} for r in RECORDS],
        }
        assert request.body == json.dumps(expected, separators=(",", ":")).encode()
        assert int(headers["content-length"]) == len(request.body)

    asyncio.run(main())


def test_gzip_content_encoding_and_no_optional_headers() -> None:
    async def main() -> None:
        async with Receiver(echo) as receiver:
            destination = HttpEndpointDestination(
                config(receiver.url, RequestConfiguration={"ContentEncoding": "GZIP"}),
                clock=TestClock(),
            )
            assert await destination.deliver(RECORDS[:2], ARN) == []
            await destination.aclose()
        [request] = receiver.requests
        assert request.headers["content-encoding"] == "gzip"
        assert "x-amz-firehose-access-key" not in request.headers
        assert "x-amz-firehose-common-attributes" not in request.headers
        document = json.loads(gzip.decompress(request.body))
        assert [base64.b64decode(r["data"]) for r in document["records"]] == [r.data for r in RECORDS[:2]]

    asyncio.run(main())


def test_retries_keep_the_request_id_and_body_on_the_backoff_schedule() -> None:
    answers = [json_answer(500, {"errorMessage": "busy"}), (200, b"not json")]

    def flaky(request: Request, receiver: Receiver) -> tuple[int, bytes]:
        return answers.pop(0) if answers else echo(request, receiver)  # type: ignore[return-value]

    async def main() -> None:
        clock = TestClock()
        async with Receiver(flaky) as receiver:
            destination = HttpEndpointDestination(config(receiver.url), clock=clock)
            task = asyncio.create_task(destination.deliver(RECORDS, ARN))
            await receiver.wait_for(1)
            first = await advance_until(receiver, 2, clock)
            # then 2 s +-15 %: a 200 that does not conform counts as a failed attempt
            second = await advance_until(receiver, 3, clock)
            assert await asyncio.wait_for(task, 10) == []
            # 1 s then 2 s, +-15 %: the wall clock also moves under a TestClock, hence the slack
            assert 0.5 <= first <= 1.15 + 0.1
            assert 1.2 <= second <= 2.3 + 0.1
            await destination.aclose()
        ids = {r.headers["x-amz-firehose-request-id"] for r in receiver.requests}
        assert len(ids) == 1
        assert len({r.body for r in receiver.requests}) == 1

    asyncio.run(main())


def test_413_is_permanent_and_not_retried() -> None:
    async def main() -> None:
        async with Receiver(lambda r, _: json_answer(413, {"errorMessage": "too big"})) as receiver:
            destination = HttpEndpointDestination(config(receiver.url), clock=TestClock())
            assert await destination.deliver(RECORDS, ARN) == []
            assert destination.rejected_records == len(RECORDS)
            await destination.aclose()
        assert len(receiver.requests) == 1

    asyncio.run(main())


def test_exhausted_retries_return_http_endpoint_failed_records() -> None:
    def wrong_id(request: Request, _: Receiver) -> tuple[int, bytes]:
        return json_answer(200, {"requestId": "someone-else", "timestamp": 1})

    async def main() -> None:
        clock = TestClock()
        async with Receiver(wrong_id) as receiver:
            destination = HttpEndpointDestination(
                config(receiver.url, RetryOptions={"DurationInSeconds": 10}), clock=clock
            )
            task = asyncio.create_task(destination.deliver(RECORDS, ARN))
            failures = await advance_until_done(task, clock, step=3)
            await destination.aclose()
        attempts = len(receiver.requests)
        assert 2 <= attempts <= 5  # 1 + 2 + 4 s of delays fit in 10 s, advanced 3 s at a time
        assert [f.record for f in failures] == RECORDS
        assert {f.error_output_type for f in failures} == {"http-endpoint-failed"}
        assert {f.error_code for f in failures} == {"HttpEndpoint.InvalidResponseFromDestination"}
        assert {f.attempts for f in failures} == {attempts}

    asyncio.run(main())


def test_zero_retry_duration_and_a_closed_port() -> None:
    async def main() -> None:
        async with Receiver(echo) as receiver:
            url = receiver.url
        destination = HttpEndpointDestination(
            config(url, RetryOptions={"DurationInSeconds": 0}), clock=TestClock()
        )
        failures = await destination.deliver(RECORDS[:1], ARN)
        await destination.aclose()
        assert [(f.error_code, f.attempts) for f in failures] == [("HttpEndpoint.ConnectionFailed", 1)]

    asyncio.run(main())


def test_backoff_doubles_with_jitter_up_to_120_seconds() -> None:
    backoff = Backoff(TestClock(), 7200, random.Random(7))
    delays = [backoff.next_delay() for _ in range(10)]
    for n, delay in enumerate(delays):
        base = min(2.0**n, 120.0)
        assert base * 0.85 <= delay <= base * 1.15
    assert max(delays) <= 120 * 1.15
