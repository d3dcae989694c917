"""Routing: X-Amz-Target prefixes, and the signals of the AWS Query dialect."""

from __future__ import annotations

import pytest

from headwater.protocol.routing import Route, query_service, queue_path, route

PREFIXES = {"AmazonSQS": "sqs", "Kinesis_20131202": "kinesis"}
ACTIONS = {"sqs": frozenset({"SendMessage", "ListQueues"}), "other": frozenset({"Publish", "ListQueues"})}


def test_targets_name_the_service() -> None:
    sqs = {"x-amz-target": "AmazonSQS.SendMessage", "content-type": "application/x-amz-json-1.0"}
    assert route(sqs, PREFIXES) == Route("sqs", "SendMessage", "json")
    kinesis = {"x-amz-target": "Kinesis_20131202.PutRecord", "content-type": "application/x-amz-cbor-1.1"}
    assert route(kinesis, PREFIXES) == Route("kinesis", "PutRecord", "cbor")
    assert route({"x-amz-target": "AmazonSNS.Publish"}, PREFIXES) is None
    assert route({}, PREFIXES) is None


@pytest.mark.parametrize(
    ("action", "signed", "expected"),
    [
        ("SendMessage", None, "sqs"),  # unsigned: the service that has the Action
        ("Publish", None, "other"),
        ("ListQueues", None, "sqs"),  # several have it: the first
        ("ListQueues", "other", "other"),  # the signature's service wins
        ("Nope", "sqs", "sqs"),
        ("Nope", None, None),
        (None, "other", "other"),
        (None, "kinesis", None),  # signed for a service that speaks no Query
        ("SendMessage", "kinesis", "sqs"),
    ],
)
def test_query_service(action: str | None, signed: str | None, expected: str | None) -> None:
    assert query_service(action, signed, ACTIONS) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/000000000000/orders", "/000000000000/orders"),
        ("/123456789012/q.fifo/", "/123456789012/q.fifo"),
        ("/123456789012/a-b_c", "/123456789012/a-b_c"),
        ("/", None),
        ("/12345678901/q", None),
        ("/123456789012/", None),
        ("/123456789012/q/extra", None),
        ("/123456789012/" + "q" * 81, None),
        ("/123456789012/q%20x", None),
    ],
)
def test_queue_path(path: str, expected: str | None) -> None:
    assert queue_path(path) == expected
