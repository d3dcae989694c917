"""Lambda's FilterCriteria on Kinesis and SQS records, with the records in the shape Lambda sends.

Sources: the Lambda developer guide's "Lambda event filtering" (filters ORed, up to five by
default, the SQS and Kinesis format tables), "Using event filtering with a Kinesis event source"
and "... with an Amazon SQS event source" (their example records and patterns).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from headwater.services.event_patterns import FilterSet, PatternError


def criteria(*patterns: dict[str, Any] | str) -> dict[str, Any]:
    return {"Filters": [{"Pattern": p if isinstance(p, str) else json.dumps(p)} for p in patterns]}


def kinesis_record(data: bytes, partition_key: str = "1") -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
    }


def sqs_message(body: str, **attributes: str) -> dict[str, Any]:
    return {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
            **attributes,
        },
        "messageAttributes": {
            "Color": {
                "stringValue": "red",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-west-2:123456789012:my-queue",
        "awsRegion": "us-west-2",
    }


ORDER = json.dumps({"record": 12345, "order": {"type": "buy", "stock": "ANYCO", "quantity": 1000}}).encode()
SQS_BODY = json.dumps(
    {"RecordNumber": 1234, "TimeStamp": "yyyy-mm-ddThh:mm:ss", "RequestCode": "AAAA"}, indent=1
)

# --- Kinesis ---


def test_kinesis_guide_example_filters_on_decoded_data() -> None:
    filters = FilterSet.from_criteria(criteria({"data": {"order": {"type": ["buy"]}}}), source="kinesis")
    assert filters.matches_kinesis_record(kinesis_record(ORDER))
    sell = json.dumps({"record": 1, "order": {"type": "sell"}}).encode()
    assert not filters.matches_kinesis_record(kinesis_record(sell))


def test_kinesis_metadata_and_data_together() -> None:
    filters = FilterSet.from_criteria(
        criteria({"partitionKey": ["1"], "data": {"record": [12345]}}), source="kinesis"
    )
    assert filters.matches_kinesis_record(kinesis_record(ORDER, partition_key="1"))
    assert not filters.matches_kinesis_record(kinesis_record(ORDER, partition_key="2"))


@pytest.mark.parametrize("data", [b"not json", b"\xff\xfe", b"42", b'"text"', b"", b"{"])
def test_kinesis_non_json_data_drops_the_record_for_a_data_filter(data: bytes) -> None:
    filters = FilterSet.from_criteria(criteria({"data": {"a": [{"exists": False}]}}), source="kinesis")
    assert not filters.matches_kinesis_record(kinesis_record(data))


def test_kinesis_non_json_data_still_matches_a_metadata_filter() -> None:
    filters = FilterSet.from_criteria(criteria({"partitionKey": ["1"]}), source="kinesis")
    assert filters.matches_kinesis_record(kinesis_record(b"plain text"))
    assert not filters.matches_kinesis_record(kinesis_record(b"plain text", partition_key="9"))


def test_kinesis_json_array_data_is_matched() -> None:
    filters = FilterSet.from_criteria(criteria({"data": {"type": ["buy"]}}), source="kinesis")
    assert filters.matches_kinesis_record(kinesis_record(b'[{"type": "sell"}, {"type": "buy"}]'))


def test_kinesis_plain_data_pattern_is_refused_at_creation() -> None:
    with pytest.raises(PatternError) as caught:
        FilterSet.from_criteria(criteria({"data": ["hello"]}), source="kinesis")
    assert caught.value.message == "Invalid filter pattern definition."


def test_kinesis_number_texts_survive_decoding() -> None:
    filters = FilterSet.from_criteria(criteria({"data": {"n": [300]}}), source="kinesis")
    assert filters.matches_kinesis_record(kinesis_record(b'{"n": 300}'))
    assert not filters.matches_kinesis_record(kinesis_record(b'{"n": 300.0}'))


def test_kinesis_malformed_record_does_not_crash() -> None:
    filters = FilterSet.from_criteria(criteria({"data": {"a": ["x"]}}), source="kinesis")
    assert not filters.matches_kinesis_record({})
    assert not filters.matches_kinesis_record({"kinesis": {"data": "***not base64***"}})
    assert not filters.matches_kinesis_record({"kinesis": "x"})


# --- SQS ---


def test_sqs_guide_example_filters_on_parsed_body() -> None:
    filters = FilterSet.from_criteria(criteria({"body": {"RequestCode": ["BBBB"]}}), source="sqs")
    assert not filters.matches_sqs_message(sqs_message(SQS_BODY))
    assert filters.matches_sqs_message(sqs_message(SQS_BODY.replace("AAAA", "BBBB")))


@pytest.mark.parametrize(
    ("body", "pattern", "expected"),
    [
        # the guide's table: body format x the filter's body format
        ("plain text", {"body": ["plain text"]}, True),  # plain, plain: filtered
        ("plain text", {"body": [{"prefix": "plain"}]}, True),
        ("plain text", {"attributes": {"ApproximateReceiveCount": ["1"]}}, True),  # plain, no body rule
        ("plain text", {"body": {"a": [{"exists": False}]}}, False),  # plain, JSON: dropped
        ('{"a": "x"}', {"body": [{"prefix": "{"}]}, False),  # JSON, plain: dropped
        ('{"a": "x"}', {"body": [{"exists": True}]}, False),
        ('{"a": "x"}', {"attributes": {"ApproximateReceiveCount": ["1"]}}, True),  # JSON, no body rule
        ('{"a": "x"}', {"body": {"a": ["x"]}}, True),  # JSON, JSON: filtered
        ('{"a": "x"}', {"body": {"a": ["y"]}}, False),
        # bare JSON scalars are plain strings
        ("42", {"body": ["42"]}, True),
        ("42", {"body": {"a": [{"exists": False}]}}, False),
    ],
)
def test_sqs_body_format_table(body: str, pattern: dict[str, Any], expected: bool) -> None:
    filters = FilterSet.from_criteria(criteria(pattern), source="sqs")
    assert filters.matches_sqs_message(sqs_message(body)) is expected


def test_sqs_attributes_and_message_attributes() -> None:
    filters = FilterSet.from_criteria(
        criteria(
            {
                "messageAttributes": {"Color": {"stringValue": ["red"]}},
                "attributes": {"SenderId": [{"prefix": "AIDA"}]},
            }
        ),
        source="sqs",
    )
    assert filters.matches_sqs_message(sqs_message("x"))
    other = sqs_message("x")
    other["messageAttributes"]["Color"]["stringValue"] = "blue"
    assert not filters.matches_sqs_message(other)


def test_sqs_filter_sees_the_message_unchanged() -> None:
    message = sqs_message('{"a": 1}')
    FilterSet.from_criteria(criteria({"body": {"a": [1]}})).matches_sqs_message(message)
    assert message["body"] == '{"a": 1}'


# --- the filter set ---


def test_filters_are_ored() -> None:
    filters = FilterSet.from_criteria(
        criteria({"body": {"a": ["1"]}}, {"body": {"b": ["2"]}}, {"body": ["plain"]}), source="sqs"
    )
    assert filters.matches_sqs_message(sqs_message('{"b": "2"}'))
    assert filters.matches_sqs_message(sqs_message("plain"))
    assert not filters.matches_sqs_message(sqs_message('{"c": "3"}'))


@pytest.mark.parametrize("empty", [None, {}, {"Filters": []}, {"Filters": None}])
def test_no_filters_let_everything_through(empty: dict[str, Any] | None) -> None:
    filters = FilterSet.from_criteria(empty)
    assert not filters and len(filters) == 0
    assert filters.matches_sqs_message(sqs_message("anything"))
    assert filters.matches_kinesis_record(kinesis_record(b"anything"))
    assert filters.matches({"a": 1})


def test_five_filters_by_default_more_with_a_quota() -> None:
    five = criteria(*({"a": [str(i)]} for i in range(5)))
    assert len(FilterSet.from_criteria(five)) == 5
    six = criteria(*({"a": [str(i)]} for i in range(6)))
    with pytest.raises(PatternError) as caught:
        FilterSet.from_criteria(six)
    assert "limit of 5" in caught.value.message
    assert len(FilterSet.from_criteria(six, max_filters=10)) == 6


def test_pattern_length_limit() -> None:
    text = json.dumps({"a": ["x" * 4084]})
    assert len(text) == 4095
    FilterSet.from_criteria(criteria(text))
    with pytest.raises(PatternError):
        FilterSet.from_criteria(criteria(json.dumps({"a": ["x" * 4090]})))


@pytest.mark.parametrize(
    "bad",
    [
        {"Filters": "x"},
        {"Filters": [{}]},
        {"Filters": [{"Pattern": 5}]},
        {"Filters": ["x"]},
        criteria('{"a": []}'),
    ],
)
def test_malformed_criteria_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(PatternError):
        FilterSet.from_criteria(bad)


def test_or_branches_count_for_the_body_format() -> None:
    filters = FilterSet.from_criteria(
        criteria({"$or": [{"body": {"a": ["x"]}}, {"messageId": ["nope"]}]}), source="sqs"
    )
    assert filters.matches_sqs_message(sqs_message('{"a": "x"}'))
    assert not filters.matches_sqs_message(sqs_message("a"))
