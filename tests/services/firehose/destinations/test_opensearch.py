"""The OpenSearch destination against a loopback `_bulk` receiver: the NDJSON body byte for byte,
IndexRotationPeriod index names, document ids, per-item and whole-request retries, and the
"AmazonOpenSearchService-failed" records with their es* fields."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from headwater.runtime.clock import TestClock
from headwater.services.firehose.destinations.opensearch import (
    OpenSearchDestination,
    index_name,
    us_week,
)
from headwater.services.firehose.destinations.retry import DestinationFailure
from headwater.services.firehose.records import Record
from tests.services.firehose.destinations.receiver import (
    Receiver,
    Request,
    advance_until,
    advance_until_done,
    json_answer,
)

ARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/search"
AT = int(dt.datetime(2016, 2, 25, 13, tzinfo=dt.UTC).timestamp() * 1000)


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp() * 1000)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        ("NoRotation", "myindex"),
        ("OneHour", "myindex-2016-02-25-13"),
        ("OneDay", "myindex-2016-02-25"),
        ("OneMonth", "myindex-2016-02"),
        # US weeks: Sunday first, week 1 holds January 1st (2016-01-01 is a Friday)
        ("OneWeek", "myindex-2016-w09"),
    ],
)
def test_index_rotation_suffixes(rotation: str, expected: str) -> None:
    assert index_name("myindex", rotation, AT) == expected


def test_us_weeks_across_years() -> None:
    assert us_week(dt.date(2016, 1, 1)) == (2016, 1)
    assert us_week(dt.date(2016, 1, 3)) == (2016, 2)  # the first Sunday starts week 2
    assert us_week(dt.date(2015, 12, 31)) == (2016, 1)  # its week holds 2016-01-01
    assert us_week(dt.date(2016, 12, 31)) == (2016, 53)  # 2017-01-01 is a Sunday
    assert us_week(dt.date(2017, 1, 1)) == (2017, 1)


def bulk_items(request: Request) -> list[tuple[dict, bytes]]:  # type: ignore[type-arg]
    lines = request.body.split(b"\n")
    assert lines[-1] == b""
    return [(json.loads(lines[i]), lines[i + 1]) for i in range(0, len(lines) - 1, 2)]


def accept_all(request: Request, _: Receiver) -> tuple[int, bytes]:
    items = [{"index": {**a["index"], "status": 201, "result": "created"}} for a, _ in bulk_items(request)]
    return json_answer(200, {"took": 1, "errors": False, "items": items})  # type: ignore[return-value]


RECORDS = [
    Record("49-1", b'{"msg":"a"}', AT),
    Record("49-2", b'{\n  "msg": "pretty"\n}\n', ms(2016, 2, 26, 0)),
    Record("49-3", b'{"msg":"c"}\n', AT),
]


def test_bulk_body_byte_for_byte_with_firehose_document_ids() -> None:
    async def main() -> None:
        async with Receiver(accept_all) as receiver:
            destination = OpenSearchDestination(
                {"ClusterEndpoint": receiver.url, "IndexName": "logs", "TypeName": "_doc",
                 "IndexRotationPeriod": "OneDay"},
                clock=TestClock(),
            )  # fmt: skip
            assert await destination.deliver(RECORDS, ARN) == []
            await destination.aclose()
        [request] = receiver.requests
        assert (request.method, request.path) == ("POST", "/_bulk")
        assert request.headers["content-type"] == "application/x-ndjson"
        assert request.body == (
            b'{"index":{"_index":"logs-2016-02-25","_type":"_doc","_id":"49-1"}}\n'
            b'{"msg":"a"}\n'
            b'{"index":{"_index":"logs-2016-02-26","_type":"_doc","_id":"49-2"}}\n'
            b'{"msg":"pretty"}\n'
            b'{"index":{"_index":"logs-2016-02-25","_type":"_doc","_id":"49-3"}}\n'
            b'{"msg":"c"}\n'
        )

    asyncio.run(main())


def test_no_document_id_and_the_default_rotation() -> None:
    async def main() -> None:
        async with Receiver(accept_all) as receiver:
            destination = OpenSearchDestination(
                {"ClusterEndpoint": receiver.url, "IndexName": "logs",
                 "DocumentIdOptions": {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}},
                clock=TestClock(),
            )  # fmt: skip
            assert await destination.deliver(RECORDS[:1], ARN) == []
            await destination.aclose()
        assert receiver.requests[0].body == (
            b'{"index":{"_index":"logs-2016-02-25"}}\n{"msg":"a"}\n'  # OneDay is the default
        )

    asyncio.run(main())


def test_item_failures_429_retried_alone_400_failed_with_es_fields() -> None:
    def partial(request: Request, _: Receiver) -> tuple[int, bytes]:
        items = []
        for action, _doc in bulk_items(request):
            meta = action["index"]
            if meta["_id"] == "49-2":
                items.append({"index": {**meta, "status": 400, "error": {
                    "type": "mapper_parsing_exception", "reason": "failed to parse"}}})  # fmt: skip
            elif meta["_id"] == "49-3" and len(request_log) == 1:
                items.append({"index": {**meta, "status": 429, "error": {
                    "type": "es_rejected_execution_exception", "reason": "queue full"}}})  # fmt: skip
            else:
                items.append({"index": {**meta, "status": 201}})
        return json_answer(200, {"took": 1, "errors": True, "items": items})  # type: ignore[return-value]

    request_log: list[Request] = []

    async def main() -> None:
        clock = TestClock()

        def handler(request: Request, receiver: Receiver) -> tuple[int, bytes]:
            request_log.append(request)
            return partial(request, receiver)

        async with Receiver(handler) as receiver:
            destination = OpenSearchDestination(
                {"ClusterEndpoint": receiver.url, "IndexName": "logs", "IndexRotationPeriod": "NoRotation"},
                clock=clock,
            )
            task = asyncio.create_task(destination.deliver(RECORDS, ARN))
            await advance_until(receiver, 2, clock)
            failures = await asyncio.wait_for(task, 10)
            await destination.aclose()
        retried = bulk_items(receiver.requests[1])
        assert [a["index"]["_id"] for a, _ in retried] == ["49-3"]  # only the throttled item
        [failure] = failures
        assert isinstance(failure, DestinationFailure)
        assert failure.record == RECORDS[1]
        assert failure.error_output_type == "AmazonOpenSearchService-failed"
        assert failure.error_code == "400"
        assert json.loads(failure.error_message)["type"] == "mapper_parsing_exception"
        assert failure.document == {"esDocumentId": "49-2", "esIndexName": "logs", "esTypeName": None}

    asyncio.run(main())


def test_cluster_down_is_retried_for_the_duration_then_every_record_fails() -> None:
    async def main() -> None:
        clock = TestClock()
        async with Receiver(lambda r, _: json_answer(503, {"error": "unavailable"})) as receiver:
            destination = OpenSearchDestination(
                {"ClusterEndpoint": receiver.url, "IndexName": "logs",
                 "RetryOptions": {"DurationInSeconds": 60}},
                clock=clock,
            )  # fmt: skip
            task = asyncio.create_task(destination.deliver(RECORDS, ARN))
            failures = await advance_until_done(task, clock, step=10)
            await destination.aclose()
        attempts = len(receiver.requests)
        assert attempts >= 3
        assert [f.record for f in failures] == RECORDS
        assert {(f.error_code, f.attempts) for f in failures} == {("503", attempts)}

    asyncio.run(main())


def test_a_domain_arn_alone_cannot_be_reached() -> None:
    with pytest.raises(ValueError, match="ClusterEndpoint"):
        OpenSearchDestination(
            {"DomainARN": "arn:aws:es:us-east-1:000000000000:domain/d1", "IndexName": "x"},
            clock=TestClock(),
        )
