"""Model validation: AWS's exact ValidationException texts (kinesalite's AWS-validated suite)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.protocol.models import operation_model
from headwater.protocol.validation import aws_pattern, java_namespace, validate

STREAM_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
MIN_1 = "Member must have length greater than or equal to 1"


def errors(operation: str, params: dict[str, Any]) -> str:
    op = operation_model("kinesis", operation)
    with pytest.raises(AwsError) as caught:
        validate(op.input_shape, params, namespace=java_namespace(op.service_model))
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message


def valid(operation: str, params: dict[str, Any]) -> None:
    validate(operation_model("kinesis", operation).input_shape, params)


def one(value: str, path: str, constraint: str) -> str:
    return f"Value {value} at '{path}' failed to satisfy constraint: {constraint}"


def test_missing_required_members() -> None:
    assert errors("PutRecords", {}) == "1 validation error detected: " + one(
        "null", "records", "Member must not be null"
    )
    # (The model no longer requires PartitionKey nor StreamName, which moved to the service.)
    assert errors("PutRecord", {"StreamName": "s"}) == "1 validation error detected: " + one(
        "null", "data", "Member must not be null"
    )
    assert errors("GetShardIterator", {}) == "2 validation errors detected: " + "; ".join(
        [
            one("null", "shardId", "Member must not be null"),
            one("null", "shardIteratorType", "Member must not be null"),
        ]
    )


def test_empty_stream_name_and_records_as_aws_words_it() -> None:
    # Verbatim from kinesalite test/putRecords.js ("should return ValidationException for empty StreamName").
    assert errors("PutRecords", {"StreamName": "", "Records": []}) == (
        "3 validation errors detected: "
        "Value '[]' at 'records' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
        "Value '' at 'streamName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_length_maximum_of_a_string() -> None:
    name = "a" * 129
    assert errors("PutRecords", {"StreamName": name, "Records": [{"PartitionKey": "a", "Data": b""}]}) == (
        "1 validation error detected: "
        f"Value '{name}' at 'streamName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )
    valid("PutRecords", {"StreamName": "a" * 128, "Records": [{"PartitionKey": "a", "Data": b""}]})


def test_nested_list_paths_are_one_based_members() -> None:
    records = [{"PartitionKey": "ok", "Data": b""}, {"PartitionKey": "", "Data": b"", "ExplicitHashKey": "x"}]
    assert errors(
        "PutRecords", {"StreamName": "s", "Records": records}
    ) == "2 validation errors detected: " + "; ".join(
        [
            one(
                "'x'",
                "records.2.member.explicitHashKey",
                r"Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})",
            ),
            one("''", "records.2.member.partitionKey", MIN_1),
        ]
    )
    assert errors(
        "PutRecords", {"Records": [{"PartitionKey": "k"}]}
    ) == "1 validation error detected: " + one("null", "records.1.member.data", "Member must not be null")


def test_blobs_show_as_java_byte_buffers() -> None:
    size = 10 * 1024 * 1024 + 1
    assert errors("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": bytes(size)}) == (
        "1 validation error detected: "
        f"Value 'java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]' at 'data' failed to satisfy constraint: "
        "Member must have length less than or equal to 10485760"
    )


def test_at_most_ten_errors_are_listed() -> None:
    records = [{"PartitionKey": "", "Data": b""} for _ in range(501)]
    message = errors("PutRecords", {"StreamName": "", "Records": records})
    assert message.startswith(
        "10 validation errors detected: Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@"
    )
    parts = message.split("; ")
    assert len(parts) == 10
    assert parts[0].endswith(
        "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
    )
    assert parts[1:] == [one("''", f"records.{i}.member.partitionKey", MIN_1) for i in range(1, 10)]


def test_integer_ranges() -> None:
    assert errors(
        "CreateStream", {"StreamName": "s", "ShardCount": 0}
    ) == "1 validation error detected: " + one(
        "'0'", "shardCount", "Member must have value greater than or equal to 1"
    )
    assert errors("ListShards", {"MaxResults": 100000}) == "1 validation error detected: " + one(
        "'100000'", "maxResults", "Member must have value less than or equal to 10000"
    )
    assert errors(
        "CreateStream", {"StreamName": "s", "MaxRecordSizeInKiB": 1023}
    ) == "1 validation error detected: " + one(
        "'1023'", "maxRecordSizeInKiB", "Member must have value greater than or equal to 1024"
    )
    valid("ListShards", {"MaxResults": 10000})
    valid("ListShards", {"MaxResults": 1})


def test_enums() -> None:
    assert errors("GetShardIterator", {"StreamName": "s", "ShardId": "s", "ShardIteratorType": ""}) == (
        "1 validation error detected: "
        "Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: "
        "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
    )
    valid("GetShardIterator", {"ShardId": "s", "ShardIteratorType": "LATEST"})


def test_nested_structures() -> None:
    assert errors(
        "CreateStream", {"StreamName": "s", "StreamModeDetails": {}}
    ) == "1 validation error detected: " + one(
        "null", "streamModeDetails.streamMode", "Member must not be null"
    )
    assert errors(
        "CreateStream", {"StreamName": "s", "StreamModeDetails": {"StreamMode": "FAST"}}
    ) == "1 validation error detected: " + one(
        "'FAST'",
        "streamModeDetails.streamMode",
        "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]",
    )


def test_lists_of_scalars_report_once_for_the_list() -> None:
    # Verbatim from kinesalite test/removeTagsFromStream.js ("should return ValidationException for long TagKey").
    name = "a" * 129
    assert errors("RemoveTagsFromStream", {"StreamName": "s", "TagKeys": ["a", name, "b"]}) == (
        "1 validation error detected: "
        f"Value '[a, {name}, b]' at 'tagKeys' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]"
    )
    assert errors("EnableEnhancedMonitoring", {"StreamName": "s", "ShardLevelMetrics": ["Bogus"]}).endswith(
        "Value '[Bogus]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must satisfy enum value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
        "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]"
    )
    assert errors("RemoveTagsFromStream", {"TagKeys": [str(i) for i in range(51)]}).endswith(
        "at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"
    )


def test_maps() -> None:
    assert errors(
        "AddTagsToStream", {"StreamName": "s", "Tags": {}}
    ) == "1 validation error detected: " + one("'{}'", "tags", MIN_1)
    long_value = "v" * 257
    assert errors(
        "AddTagsToStream", {"Tags": {"": long_value}}
    ) == "2 validation errors detected: " + "; ".join(
        [
            one(
                f"'{{={long_value}}}'",
                "tags",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
                "Member must have length greater than or equal to 1]",
            ),
            one(
                f"'{{={long_value}}}'",
                "tags",
                "Map value must satisfy constraint: [Member must have length less than or equal to 256, "
                "Member must have length greater than or equal to 0]",
            ),
        ]
    )
    valid("AddTagsToStream", {"Tags": {"k": ""}})


def test_string_lengths_count_utf16_code_units_like_java() -> None:
    emoji = "\U0001f600"  # two UTF-16 code units
    valid("PutRecord", {"PartitionKey": emoji * 128, "Data": b""})
    assert errors("PutRecord", {"PartitionKey": emoji * 129, "Data": b""}).endswith(
        "at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"
    )
    valid("PutRecord", {"PartitionKey": "é" * 256, "Data": b""})


def test_patterns_match_the_whole_value() -> None:
    for bad in ["a b", "a\n", "ü", "stream/x"]:
        assert errors("DescribeStream", {"StreamName": bad}) == "1 validation error detected: " + one(
            f"'{bad}'", "streamName", STREAM_PATTERN
        )
    valid("DescribeStream", {"StreamName": "my_stream-1.x"})
    valid("DescribeStream", {"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s"})
    message = errors("DescribeStream", {"StreamARN": "xarn:aws:kinesis:us-east-1:123456789012:stream/s"})
    assert re.search(
        r"at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression", message
    )


def test_unconstrained_inputs_pass() -> None:
    valid("ListStreams", {})
    valid("DescribeLimits", {})


def test_generic_over_other_services() -> None:
    op = operation_model("firehose", "PutRecordBatch")
    with pytest.raises(AwsError) as caught:
        validate(op.input_shape, {"DeliveryStreamName": "d", "Records": []})
    assert caught.value.message == "1 validation error detected: " + one("'[]'", "records", MIN_1)


@pytest.mark.parametrize(
    ("pattern", "shown"),
    [
        (r"^(0|([1-9]\d{0,38}))$", r"0|([1-9]\d{0,38})"),
        (r"^[a-z0-9]+$", r"[a-z0-9]+"),
        (r"[a-zA-Z0-9_.-]+", r"[a-zA-Z0-9_.-]+"),
        (r"^(a)|(b)$", r"(a)|(b)"),  # the outer parentheses are not one group
        (r"^(/x/v\d)$|^(/v\d)$", r"^(/x/v\d)$|^(/v\d)$"),  # several anchored alternatives stay
        (r"^a\$$", r"a\$"),  # an escaped dollar is a character, not an anchor
        (r"^[^/$]+$", r"[^/$]+"),  # nor are ^ and $ inside a class
    ],
)
def test_patterns_print_as_aws_does(pattern: str, shown: str) -> None:
    assert aws_pattern(pattern) == shown
