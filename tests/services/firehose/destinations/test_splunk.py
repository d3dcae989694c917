"""The Splunk destination against a loopback HEC: event and raw endpoints, the token and channel
headers, indexer acknowledgements polled on the TestClock, the acknowledgement timeout, and the
"splunk-failed" records once RetryOptions are spent."""

from __future__ import annotations

import asyncio

from headwater.runtime.clock import TestClock
from headwater.services.firehose.destinations.retry import DestinationFailure
from headwater.services.firehose.destinations.splunk import SplunkDestination
from tests.services.firehose.destinations.receiver import (
    Receiver,
    Request,
    advance_until,
    advance_until_done,
    json_answer,
)

ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/logs"
TOKEN = "5f3a2b1c-0000-4000-8000-000000000001"


class Hec:
    """HEC with indexer acknowledgement: ack ids count up, an ack turns true after
    `polls_before_ack` polls (never when None)."""

    def __init__(self, polls_before_ack: int | None = 0) -> None:
        self.polls_before_ack = polls_before_ack
        self.polls = 0
        self.next_ack = 0

    def __call__(self, request: Request, _: Receiver) -> tuple[int, bytes]:
        if request.headers.get("authorization") != f"Splunk {TOKEN}":
            return json_answer(403, {"text": "Invalid token", "code": 4})  # type: ignore[return-value]
        if not request.headers.get("x-splunk-request-channel"):
            return json_answer(400, {"text": "Data channel is missing", "code": 10})  # type: ignore[return-value]
        if request.path == "/services/collector/ack":
            self.polls += 1
            done = self.polls_before_ack is not None and self.polls > self.polls_before_ack
            return json_answer(200, {"acks": {str(a): done for a in request.json()["acks"]}})  # type: ignore[return-value]
        self.next_ack += 1
        return json_answer(200, {"text": "Success", "code": 0, "ackId": self.next_ack - 1})  # type: ignore[return-value]


def config(url: str, kind: str, **extra: object) -> dict[str, object]:
    return {"HECEndpoint": url, "HECEndpointType": kind, "HECToken": TOKEN, **extra}


def records() -> list:  # type: ignore[type-arg]
    from headwater.services.firehose.records import Record

    return [
        Record("r1", b'{"event":{"a":1},"sourcetype":"aws:firehose"}', 1),
        Record("r2", b"plain line one\n", 2),
        Record("r3", b'{"not_an_event":true}', 3),
    ]


def test_event_endpoint_wraps_what_is_not_an_event_and_waits_for_the_ack() -> None:
    async def main() -> None:
        clock = TestClock()
        hec = Hec(polls_before_ack=1)
        async with Receiver(hec) as receiver:
            destination = SplunkDestination(config(receiver.url, "Event"), clock=clock)
            task = asyncio.create_task(destination.deliver(records(), ARN))
            await receiver.wait_for(2)  # the event POST and the first (negative) ack poll
            await advance_until(receiver, 3, clock)
            assert await asyncio.wait_for(task, 10) == []
            await destination.aclose()
        post, poll1, poll2 = receiver.requests
        assert (post.method, post.path) == ("POST", "/services/collector/event")
        assert post.body == (
            b'{"event":{"a":1},"sourcetype":"aws:firehose"}'
            b'{"event":"plain line one\\n"}'
            b'{"event":"{\\"not_an_event\\":true}"}'
        )
        assert post.headers["authorization"] == f"Splunk {TOKEN}"
        channels = {r.headers["x-splunk-request-channel"] for r in receiver.requests}
        assert len(channels) == 1
        assert poll1.path == poll2.path == "/services/collector/ack"
        assert poll1.json() == {"acks": [0]}

    asyncio.run(main())


def test_raw_endpoint_sends_the_records_as_they_are() -> None:
    async def main() -> None:
        async with Receiver(Hec()) as receiver:
            destination = SplunkDestination(config(receiver.url + "/", "Raw"), clock=TestClock())
            assert await destination.deliver(records(), ARN) == []
            await destination.aclose()
        post = receiver.requests[0]
        assert post.path == "/services/collector/raw"
        assert post.body == b"".join(r.data for r in records())

    asyncio.run(main())


def test_ack_timeout_then_splunk_failed_with_event_ids() -> None:
    async def main() -> None:
        clock = TestClock()
        async with Receiver(Hec(polls_before_ack=None)) as receiver:
            destination = SplunkDestination(
                config(
                    receiver.url,
                    "Event",
                    HECAcknowledgmentTimeoutInSeconds=180,
                    RetryOptions={"DurationInSeconds": 0},
                ),
                clock=clock,
            )
            task = asyncio.create_task(destination.deliver(records(), ARN))
            await receiver.wait_for(2)
            clock.advance(181)
            failures = await asyncio.wait_for(task, 10)
            await destination.aclose()
        assert [f.record.record_id for f in failures] == ["r1", "r2", "r3"]
        assert {f.error_output_type for f in failures} == {"splunk-failed"}
        assert {f.error_code for f in failures} == {"Splunk.AckTimeout"}
        assert all(isinstance(f, DestinationFailure) for f in failures)
        assert [f.document["EventId"] for f in failures] == ["r1", "r2", "r3"]  # type: ignore[attr-defined]

    asyncio.run(main())


def test_invalid_token_is_retried_then_fails() -> None:
    async def main() -> None:
        clock = TestClock()
        async with Receiver(Hec()) as receiver:
            cfg = config(receiver.url, "Raw", RetryOptions={"DurationInSeconds": 5})
            cfg["HECToken"] = "wrong"
            destination = SplunkDestination(cfg, clock=clock)
            task = asyncio.create_task(destination.deliver(records()[:1], ARN))
            failures = await advance_until_done(task, clock, step=0.5)
            await destination.aclose()
        attempts = len(receiver.requests)
        assert attempts >= 3  # 1 s and 2 s delays fit in 5 s
        assert [(f.error_code, f.attempts) for f in failures] == [("Splunk.InvalidToken", attempts)]

    asyncio.run(main())
