"""SQS queue-attribute rules: names, values, defaults, set-time rules, policies and tags."""

from __future__ import annotations

import json

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.sqs.attributes import (
    ATTRIBUTE_NAMES,
    FIFO_ONLY_ATTRIBUTES,
    READ_ONLY_ATTRIBUTES,
    RedriveAllowPolicy,
    RedrivePolicy,
    check_tags,
    create_attributes,
    differs_for_create,
    invalid_redrive_policy,
    parse_redrive_allow_policy,
    parse_redrive_policy,
    queue_exists_error,
    redrive_allowed,
    select_attribute_names,
    set_attributes,
    validate_queue_name,
)

DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"
SOURCE = "arn:aws:sqs:us-east-1:000000000000:source"
STATEMENT = {
    "Sid": "s",
    "Effect": "Allow",
    "Principal": {"AWS": ["000000000000"]},
    "Action": "sqs:SendMessage",
}

STANDARD_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    **STANDARD_DEFAULTS,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def error(call, *args, **kwargs) -> AwsError:
    with pytest.raises(AwsError) as info:
        call(*args, **kwargs)
    return info.value


def policy(**overrides) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [STATEMENT], **overrides})


def redrive(arn: str = DLQ, count: object = 5, **extra) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count, **extra})


# -- names --------------------------------------------------------------------------------------

STANDARD_NAME_ERROR = "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
FIFO_NAME_ERROR = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores,"
    " must end with .fifo suffix and be 1 to 80 in length."
)


@pytest.mark.parametrize(
    ("name", "attributes", "fifo"),
    [
        ("q", None, False),
        ("Az09_-", {}, False),
        ("a" * 80, {"VisibilityTimeout": "1"}, False),
        ("q.fifo", {"FifoQueue": "true"}, True),
        ("q.fifo", {"FifoQueue": "True"}, True),
        ("a" * 75 + ".fifo", {"FifoQueue": "true"}, True),
    ],
)
def test_valid_queue_names(name, attributes, fifo):
    assert validate_queue_name(name, attributes) is fifo


@pytest.mark.parametrize(
    ("name", "attributes", "code", "message"),
    [
        ("", None, "InvalidParameterValueException", "Queue name cannot be empty"),
        ("a" * 81, None, "InvalidParameterValueException", STANDARD_NAME_ERROR),
        ("in.fo", None, "InvalidParameterValueException", STANDARD_NAME_ERROR),
        ("ééwwà", None, "InvalidParameterValueException", STANDARD_NAME_ERROR),
        ("with/slash", None, "InvalidParameterValueException", STANDARD_NAME_ERROR),
        ("messages.fifo", None, "InvalidParameterValueException", STANDARD_NAME_ERROR),
        ("example", {"FifoQueue": "true"}, "InvalidParameterValueException", FIFO_NAME_ERROR),
        ("a" * 76 + ".fifo", {"FifoQueue": "true"}, "InvalidParameterValueException", FIFO_NAME_ERROR),
        (".fifo", {"FifoQueue": "true"}, "InvalidParameterValueException", FIFO_NAME_ERROR),
        ("example", {"FifoQueue": "false"}, "InvalidAttributeName", "Unknown Attribute FifoQueue."),
        ("example.fifo", {"FifoQueue": "false"}, "InvalidAttributeName", "Unknown Attribute FifoQueue."),
        ("example.fifo", {"FifoQueue": "yes"}, "InvalidAttributeName", "Unknown Attribute FifoQueue."),
    ],
)
def test_invalid_queue_names(name, attributes, code, message):
    e = error(validate_queue_name, name, attributes)
    assert (e.code, e.message, e.status) == (code, message, 400)


# -- create -------------------------------------------------------------------------------------


def test_standard_defaults():
    assert create_attributes("q", {}) == STANDARD_DEFAULTS


def test_fifo_defaults():
    assert create_attributes("q.fifo", {"FifoQueue": "true"}) == FIFO_DEFAULTS


def test_result_is_a_new_dict_in_model_order():
    result = create_attributes("q", {"DelaySeconds": "5", "Policy": policy()})
    assert list(result) == [n for n in ATTRIBUTE_NAMES if n in result]
    result["DelaySeconds"] = "9"
    assert create_attributes("q", {})["DelaySeconds"] == "0"


RANGES = [
    ("VisibilityTimeout", 0, 43200),
    ("MaximumMessageSize", 1024, 1048576),
    ("MessageRetentionPeriod", 60, 1209600),
    ("DelaySeconds", 0, 900),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("KmsDataKeyReusePeriodSeconds", 60, 86400),
]


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_integer_bounds_are_inclusive(name, low, high):
    assert create_attributes("q", {name: str(low)})[name] == str(low)
    assert create_attributes("q", {name: str(high)})[name] == str(high)


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
@pytest.mark.parametrize("shape", ["below", "above", "", " 2", "2 ", "2.5", "1e2", "abc", "1_0", "٣", "true"])
def test_integer_values_rejected(name, low, high, shape):
    value = {"below": str(low - 1), "above": str(high + 1)}.get(shape, shape)
    e = error(create_attributes, "q", {name: value})
    assert (e.code, e.message) == ("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


@pytest.mark.parametrize(("given", "stored"), [("030", "30"), ("+5", "5"), ("0", "0"), ("-0", "0")])
def test_integers_are_stored_canonically(given, stored):
    assert create_attributes("q", {"DelaySeconds": given})["DelaySeconds"] == stored


def test_json_numbers_and_nulls_are_tolerated():
    result = create_attributes("q", {"DelaySeconds": 400, "VisibilityTimeout": None})  # type: ignore[dict-item]
    assert (result["DelaySeconds"], result["VisibilityTimeout"]) == ("400", "30")
    e = error(create_attributes, "q", {"DelaySeconds": True})
    assert e.message == "Invalid value for the parameter DelaySeconds."


@pytest.mark.parametrize(("given", "stored"), [("true", "true"), ("TRUE", "true"), ("False", "false")])
def test_booleans_are_case_insensitive(given, stored):
    assert create_attributes("q", {"SqsManagedSseEnabled": given})["SqsManagedSseEnabled"] == stored
    fifo = create_attributes("q.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": given})
    assert fifo["ContentBasedDeduplication"] == stored


@pytest.mark.parametrize("value", ["", "yes", "1", "t"])
def test_invalid_booleans(value):
    e = error(create_attributes, "q", {"SqsManagedSseEnabled": value})
    assert (e.code, e.message) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter SqsManagedSseEnabled.",
    )


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("Bogus", "InvalidAttributeName", "Unknown Attribute Bogus."),
        ("visibilityTimeout", "InvalidAttributeName", "Unknown Attribute visibilityTimeout."),
        ("All", "InvalidAttributeName", "Unknown Attribute All."),
        ("QueueName", "InvalidAttributeName", "Unknown Attribute QueueName."),
        *[(n, "InvalidAttributeName", f"Unknown Attribute {n}.") for n in READ_ONLY_ATTRIBUTES],
        ("ContentBasedDeduplication", "InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication."),
        (
            "DeduplicationScope",
            "InvalidAttributeName",
            "You can specify the DeduplicationScope only when FifoQueue is set to true.",
        ),
        (
            "FifoThroughputLimit",
            "InvalidAttributeName",
            "You can specify the FifoThroughputLimit only when FifoQueue is set to true.",
        ),
    ],
)
def test_names_refused_on_a_standard_queue(name, code, message):
    value = {"ContentBasedDeduplication": "true", "DeduplicationScope": "queue"}.get(name, "perQueue")
    e = error(create_attributes, "q", {name: value})
    assert (e.code, e.message) == (code, message)


@pytest.mark.parametrize(
    "attributes",
    [
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
        {"DeduplicationScope": "messageGroup"},
        {"FifoThroughputLimit": "perQueue", "DeduplicationScope": "queue"},
        {"ContentBasedDeduplication": "true"},
    ],
)
def test_fifo_settings(attributes):
    result = create_attributes("q.fifo", {"FifoQueue": "true", **attributes})
    assert result == {**FIFO_DEFAULTS, **attributes}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DeduplicationScope", "messageQueue"),
        ("DeduplicationScope", "MessageGroup"),
        ("FifoThroughputLimit", "x"),
    ],
)
def test_invalid_fifo_choices(name, value):
    e = error(create_attributes, "q.fifo", {"FifoQueue": "true", name: value})
    assert (e.code, e.message) == ("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


@pytest.mark.parametrize("scope", [None, "queue"])
def test_per_message_group_needs_message_group_scope(scope):
    attributes = {"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"}
    if scope:
        attributes["DeduplicationScope"] = scope
    e = error(create_attributes, "q.fifo", attributes)
    assert e.code == "InvalidAttributeValue"
    assert e.message.startswith(
        "Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId"
    )


def test_kms_key_turns_sse_sqs_off_and_defaults_the_reuse_period():
    result = create_attributes("q", {"KmsMasterKeyId": "alias/aws/sqs"})
    assert result == {
        **STANDARD_DEFAULTS,
        "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "300",
        "SqsManagedSseEnabled": "false",
    }
    result = create_attributes("q", {"KmsMasterKeyId": "k", "KmsDataKeyReusePeriodSeconds": "860"})
    assert result["KmsDataKeyReusePeriodSeconds"] == "860"


def test_explicit_sse_off():
    assert create_attributes("q", {"SqsManagedSseEnabled": "false"})["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize("sse", ["true", "TRUE"])
def test_kms_and_sqs_sse_are_mutually_exclusive(sse):
    e = error(create_attributes, "q", {"SqsManagedSseEnabled": sse, "KmsMasterKeyId": "alias/aws/sqs"})
    assert e.code == "InvalidAttributeName"
    assert e.message == (
        "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
    )


def test_empty_optional_values_mean_absent_on_create():
    attributes = {"Policy": "", "RedrivePolicy": "", "RedriveAllowPolicy": "", "KmsMasterKeyId": ""}
    assert create_attributes("q", attributes) == STANDARD_DEFAULTS
    assert create_attributes("q", {"SqsManagedSseEnabled": "true", "KmsMasterKeyId": ""}) == STANDARD_DEFAULTS


def test_fifo_queue_flag_is_normalised():
    assert create_attributes("q.fifo", {"FifoQueue": "TRUE"})["FifoQueue"] == "true"


# -- Policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        policy(),
        policy(Version="2008-10-17"),
        policy(Id="_some_id"),
        json.dumps({"Statement": STATEMENT}),
        json.dumps({"Version": "2012-10-17", "Statement": {**STATEMENT, "Action": ["sqs:SendMessage"]}}),
        json.dumps({"Statement": [{"Effect": "Deny", "NotAction": "sqs:*", "Condition": {}}]}),
        policy(Statement=[STATEMENT] * 20),
    ],
)
def test_policies_kept_verbatim(text):
    assert create_attributes("q", {"Policy": text})["Policy"] == text


@pytest.mark.parametrize(
    "text",
    [
        "badjson",
        " ",
        "[]",
        '"string"',
        "533",
        "null",
        policy(Dummyfield="x"),
        policy(Version="4532-10-17"),
        policy(Statement=[]),
        policy(Statement="text"),
        json.dumps({"Version": "2012-10-17"}),
        policy(Statement=[{**STATEMENT, "dummy": "value"}]),
        policy(Statement={**STATEMENT, "dummy": "value"}),
        policy(Statement=[{**STATEMENT, "Effect": "Maybe"}]),
        policy(Statement=[{k: v for k, v in STATEMENT.items() if k != "Effect"}]),
        policy(Statement=["text"]),
        policy(Id="x" * 8192),
    ],
)
def test_invalid_policies(text):
    e = error(create_attributes, "q", {"Policy": text})
    assert (e.code, e.message) == ("InvalidAttributeValue", "Invalid value for the parameter Policy.")
    e = error(set_attributes, STANDARD_DEFAULTS, {"Policy": text}, False)
    assert (e.code, e.message) == ("InvalidAttributeValue", "Invalid value for the parameter Policy.")


def test_too_many_policy_statements():
    text = policy(Statement=[STATEMENT] * 22)
    message = "22 statements were found in the submitted policy, max allowed is 20"
    e = error(create_attributes, "q", {"Policy": text})
    assert (e.code, e.message) == ("InvalidParameterValueException", message)
    e = error(set_attributes, STANDARD_DEFAULTS, {"Policy": text}, False)
    assert (e.code, e.message) == ("OverLimit", message)


# -- RedrivePolicy ------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "parsed"), [(5, 5), ("5", 5), (1, 1), (1000, 1000), ("0010", 10)])
def test_redrive_policy_counts(count, parsed):
    assert parse_redrive_policy(redrive(count=count)) == RedrivePolicy(DLQ, parsed)


def test_redrive_policy_is_stored_compact_with_a_numeric_count():
    text = json.dumps({"maxReceiveCount": "10", "deadLetterTargetArn": DLQ}, indent=2)
    stored = create_attributes("q", {"RedrivePolicy": text})["RedrivePolicy"]
    assert stored == '{"deadLetterTargetArn":"' + DLQ + '","maxReceiveCount":10}'
    assert parse_redrive_policy(stored).to_json() == stored


NOT_A_MAP = "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{}", "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        (
            json.dumps({"maxReceiveCount": 5}),
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
        ),
        (
            json.dumps({"MaxReceiveCount": "4", "DeadLetterTargetArn": DLQ}),
            "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
        ),
        (
            redrive(count=-36),
            "Invalid value for maxReceiveCount: -36, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            redrive(count=4023),
            "Invalid value for maxReceiveCount: 4023, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            redrive(count=0),
            "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            redrive(count="x"),
            "Invalid value for maxReceiveCount: x, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            redrive(count=2.5),
            "Invalid value for maxReceiveCount: 2.5, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            redrive(count=True),
            "Invalid value for maxReceiveCount: true, valid values are from 1 to 1000 both inclusive.",
        ),
        (redrive(arn="dummy", count=42), "Invalid value for deadLetterTargetArn."),
        (redrive(arn=7), "Invalid value for deadLetterTargetArn."),
        (redrive(arn="arn:aws:sqs:us-east-1:1:q"), "Invalid value for deadLetterTargetArn."),
        (
            redrive(arn="arn:aws:sns:us-east-1:123456789012:MyTopic"),
            "Only SQS queues are valid resources for deadLetterTargetArn.",
        ),
        (
            redrive(dummyField="x"),
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].",
        ),
    ],
)
def test_invalid_redrive_policies(text, reason):
    for call in (parse_redrive_policy, lambda t: create_attributes("q", {"RedrivePolicy": t})):
        e = error(call, text)
        assert e.code == "InvalidParameterValueException"
        assert e.message == f"Value {text} for parameter RedrivePolicy is invalid. Reason: {reason}"


@pytest.mark.parametrize("text", [" ", "4", "[]", "null", "badjson", '"s"'])
def test_redrive_policy_must_be_a_json_map(text):
    e = error(parse_redrive_policy, text)
    assert (e.code, e.message) == ("InvalidParameterValueException", NOT_A_MAP)


def test_invalid_redrive_policy_helper_for_cross_queue_checks():
    e = invalid_redrive_policy("{...}", "Dead letter target does not exist.")
    assert (e.code, e.message) == (
        "InvalidParameterValueException",
        "Value {...} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.",
    )


# -- RedriveAllowPolicy -------------------------------------------------------------------------

UNSUPPORTED = (
    "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow"
    " policy, as it\u2019s in an unsupported format."
)


@pytest.mark.parametrize(
    ("document", "parsed"),
    [
        ({"redrivePermission": "allowAll"}, RedriveAllowPolicy("allowAll")),
        ({"redrivePermission": "denyAll"}, RedriveAllowPolicy("denyAll")),
        (
            {"redrivePermission": "byQueue", "sourceQueueArns": [SOURCE]},
            RedriveAllowPolicy("byQueue", (SOURCE,)),
        ),
        (
            {"redrivePermission": "byQueue", "sourceQueueArns": [f"{SOURCE}{i}" for i in range(10)]},
            RedriveAllowPolicy("byQueue", tuple(f"{SOURCE}{i}" for i in range(10))),
        ),
    ],
)
def test_redrive_allow_policies(document, parsed):
    text = json.dumps(document)
    assert parse_redrive_allow_policy(text) == parsed
    assert create_attributes("q", {"RedriveAllowPolicy": text})["RedriveAllowPolicy"] == text


@pytest.mark.parametrize(
    "text",
    [
        "badjson",
        "444",
        "false",
        "[]",
        "{}",
        json.dumps({"redrivePermission": "dummy"}),
        json.dumps({"redrivePermission": "ALL"}),
        json.dumps({"redrivePermission": "allowAll", "dummy": "value"}),
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": "arn:aws:sqs"}),
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [{"dummy": "value"}]}),
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["not-an-arn"]}),
    ],
)
def test_redrive_allow_policy_in_an_unsupported_format(text):
    e = error(create_attributes, "q", {"RedriveAllowPolicy": text})
    assert (e.code, e.message) == ("InvalidParameterValueException", UNSUPPORTED)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {"redrivePermission": "byQueue"},
            "When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.",
        ),
        (
            {"redrivePermission": "byQueue", "sourceQueueArns": []},
            "When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.",
        ),
        (
            {"redrivePermission": "byQueue", "sourceQueueArns": [f"{SOURCE}{i}" for i in range(11)]},
            "The maximum number of source queue ARNs you can specify is 10.",
        ),
        (
            {"redrivePermission": "allowAll", "sourceQueueArns": [SOURCE]},
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
        (
            {"redrivePermission": "denyAll", "sourceQueueArns": []},
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
    ],
)
def test_refused_redrive_allow_policies(document, reason):
    text = json.dumps(document)
    e = error(parse_redrive_allow_policy, text)
    assert e.code == "InvalidParameterValueException"
    assert e.message == (
        f"Value {text} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the"
        f" redrive allow policy. {reason}"
    )


@pytest.mark.parametrize(
    ("allow", "source", "expected"),
    [
        (None, SOURCE, True),
        (RedriveAllowPolicy("allowAll"), SOURCE, True),
        (None, "arn:aws:sqs:eu-west-1:000000000000:source", False),
        (None, "arn:aws:sqs:us-east-1:111111111111:source", False),
        (None, "arn:aws-cn:sqs:us-east-1:000000000000:source", False),
        (None, "garbage", False),
        (RedriveAllowPolicy("denyAll"), SOURCE, False),
        (RedriveAllowPolicy("byQueue", (SOURCE,)), SOURCE, True),
        (RedriveAllowPolicy("byQueue", (SOURCE,)), SOURCE + "2", False),
    ],
)
def test_redrive_allowed(allow, source, expected):
    assert redrive_allowed(allow, source, DLQ) is expected


# -- set ----------------------------------------------------------------------------------------


def test_set_changes_only_what_is_given():
    current = create_attributes("q", {"DelaySeconds": "1"})
    result = set_attributes(current, {"VisibilityTimeout": "069", "MaximumMessageSize": "2048"}, False)
    assert result == {**current, "VisibilityTimeout": "69", "MaximumMessageSize": "2048"}
    assert current["VisibilityTimeout"] == "30"  # not mutated


def test_set_needs_attributes():
    e = error(set_attributes, STANDARD_DEFAULTS, {}, False)
    assert (e.code, e.message) == (
        "MissingRequiredParameterException",
        "The request must contain the parameter Attribute.Name.",
    )


@pytest.mark.parametrize("name", ["Policy", "RedrivePolicy", "RedriveAllowPolicy"])
def test_empty_string_removes_a_policy(name):
    value = {
        "Policy": policy(),
        "RedrivePolicy": redrive(),
        "RedriveAllowPolicy": '{"redrivePermission":"denyAll"}',
    }
    current = set_attributes(STANDARD_DEFAULTS, {name: value[name]}, False)
    assert name in current
    assert set_attributes(current, {name: ""}, False) == STANDARD_DEFAULTS
    assert set_attributes(STANDARD_DEFAULTS, {name: ""}, False) == STANDARD_DEFAULTS


def test_sse_transitions():
    kms = set_attributes(STANDARD_DEFAULTS, {"KmsMasterKeyId": "alias/aws/sqs"}, False)
    assert (kms["SqsManagedSseEnabled"], kms["KmsDataKeyReusePeriodSeconds"]) == ("false", "300")
    sqs = set_attributes(kms, {"SqsManagedSseEnabled": "true"}, False)
    assert sqs == STANDARD_DEFAULTS
    off = set_attributes(sqs, {"SqsManagedSseEnabled": "false"}, False)
    assert off == {**STANDARD_DEFAULTS, "SqsManagedSseEnabled": "false"}
    kms = set_attributes(off, {"KmsMasterKeyId": "k", "KmsDataKeyReusePeriodSeconds": "600"}, False)
    assert kms["KmsDataKeyReusePeriodSeconds"] == "600"
    assert set_attributes(kms, {"KmsMasterKeyId": "k2"}, False)["KmsDataKeyReusePeriodSeconds"] == "600"
    removed = set_attributes(kms, {"KmsMasterKeyId": ""}, False)
    assert removed == {**STANDARD_DEFAULTS, "SqsManagedSseEnabled": "false"}
    e = error(set_attributes, off, {"SqsManagedSseEnabled": "true", "KmsMasterKeyId": "k"}, False)
    assert e.code == "InvalidAttributeName"


def test_fifo_queue_attribute_on_set():
    fifo = create_attributes("q.fifo", {"FifoQueue": "true"})
    assert set_attributes(fifo, {"FifoQueue": "true"}, True) == fifo
    for value in ("false", "omg"):
        e = error(set_attributes, fifo, {"FifoQueue": value}, True)
        assert (e.code, e.message) == (
            "InvalidAttributeValue",
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
        )
    e = error(set_attributes, STANDARD_DEFAULTS, {"FifoQueue": "true"}, False)
    assert (e.code, e.message) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")


@pytest.mark.parametrize("name", [*READ_ONLY_ATTRIBUTES, "All", "Nope"])
def test_set_refuses_read_only_and_unknown_names(name):
    e = error(set_attributes, STANDARD_DEFAULTS, {name: "1"}, False)
    assert (e.code, e.message) == ("InvalidAttributeName", f"Unknown Attribute {name}.")


@pytest.mark.parametrize(
    ("name", "value"), [("DeduplicationScope", "messageGroup"), ("FifoThroughputLimit", "perQueue")]
)
def test_set_refuses_high_throughput_settings_on_standard_queues(name, value):
    e = error(set_attributes, STANDARD_DEFAULTS, {name: value}, False)
    assert (e.code, e.message) == (
        "InvalidAttributeName",
        f"You can specify the {name} only when FifoQueue is set to true.",
    )


def test_high_throughput_on_set_uses_the_resulting_scope():
    fifo = create_attributes("q.fifo", {"FifoQueue": "true"})
    e = error(set_attributes, fifo, {"FifoThroughputLimit": "perMessageGroupId"}, True)
    assert e.code == "InvalidAttributeValue"
    both = set_attributes(
        fifo, {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}, True
    )
    assert (both["DeduplicationScope"], both["FifoThroughputLimit"]) == ("messageGroup", "perMessageGroupId")
    scoped = set_attributes(fifo, {"DeduplicationScope": "messageGroup"}, True)
    assert set_attributes(scoped, {"FifoThroughputLimit": "perMessageGroupId"}, True) == both
    # Leaving high-throughput mode one attribute at a time is allowed ("normal throughput is in effect").
    assert set_attributes(both, {"DeduplicationScope": "queue"}, True)["DeduplicationScope"] == "queue"


@pytest.mark.parametrize(("name", "low", "high"), RANGES)
def test_set_validates_values_like_create(name, low, high):
    e = error(set_attributes, STANDARD_DEFAULTS, {name: str(high + 1)}, False)
    assert (e.code, e.message) == ("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


def test_set_content_based_deduplication():
    fifo = create_attributes("q.fifo", {"FifoQueue": "true"})
    assert (
        set_attributes(fifo, {"ContentBasedDeduplication": "TRUE"}, True)["ContentBasedDeduplication"]
        == "true"
    )
    e = error(set_attributes, STANDARD_DEFAULTS, {"ContentBasedDeduplication": "true"}, False)
    assert e.message == "Unknown Attribute ContentBasedDeduplication."


# -- CreateQueue idempotency --------------------------------------------------------------------


def test_only_requested_attributes_count():
    existing = create_attributes("q", {"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "1"})
    assert differs_for_create(existing, {}) is None
    assert differs_for_create(existing, {"DelaySeconds": "1"}) is None
    assert differs_for_create(existing, {"DelaySeconds": "01"}) is None
    assert (
        differs_for_create(existing, {"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2"})
        == "DelaySeconds"
    )
    changed = set_attributes(existing, {"DelaySeconds": "2"}, False)
    assert differs_for_create(changed, {"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2"}) is None
    assert differs_for_create(changed, {"DelaySeconds": "1"}) == "DelaySeconds"


def test_first_differing_attribute_in_request_order():
    existing = create_attributes("q", {})
    assert differs_for_create(
        existing, {"VisibilityTimeout": "30", "DelaySeconds": "3", "MaximumMessageSize": "2048"}
    ) == ("DelaySeconds")


def test_fifo_idempotency():
    existing = create_attributes("q.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"})
    assert differs_for_create(existing, {"FifoQueue": "true", "ContentBasedDeduplication": "TRUE"}) is None
    assert differs_for_create(existing, {"FifoQueue": "true", "ContentBasedDeduplication": "false"}) == (
        "ContentBasedDeduplication"
    )


def test_json_attributes_compare_by_content():
    text = redrive(count="5")
    existing = create_attributes("q", {"RedrivePolicy": text, "Policy": policy()})
    assert differs_for_create(existing, {"RedrivePolicy": redrive(count=5)}) is None
    assert differs_for_create(existing, {"Policy": json.dumps(json.loads(policy()), indent=1)}) is None
    assert differs_for_create(existing, {"RedrivePolicy": redrive(count=6)}) == "RedrivePolicy"
    assert differs_for_create(existing, {"Policy": policy(Id="other")}) == "Policy"


def test_absent_optional_attributes_compare_as_empty_or_default():
    existing = create_attributes("q", {})
    assert differs_for_create(existing, {"Policy": "", "KmsMasterKeyId": ""}) is None
    assert differs_for_create(existing, {"KmsDataKeyReusePeriodSeconds": "300"}) is None
    assert differs_for_create(existing, {"Policy": policy()}) == "Policy"
    assert differs_for_create(existing, {"SqsManagedSseEnabled": "false"}) == "SqsManagedSseEnabled"


def test_idempotency_check_validates_the_request():
    existing = create_attributes("q", {})
    e = error(differs_for_create, existing, {"DelaySeconds": "901"})
    assert e.code == "InvalidAttributeValue"
    e = error(differs_for_create, existing, {"ApproximateNumberOfMessages": "0"})
    assert e.code == "InvalidAttributeName"


def test_queue_exists_error():
    e = queue_exists_error("DelaySeconds")
    assert (e.code, e.message) == (
        "QueueNameExists",
        "A queue already exists with the same name and a different value for attribute DelaySeconds",
    )


# -- GetQueueAttributes -------------------------------------------------------------------------


def test_all_on_a_fifo_queue_is_every_attribute():
    assert select_attribute_names(["All"], True) == list(ATTRIBUTE_NAMES)


def test_all_on_a_standard_queue_leaves_out_fifo_attributes():
    names = select_attribute_names(["All"], False)
    assert names == [n for n in ATTRIBUTE_NAMES if n not in FIFO_ONLY_ATTRIBUTES]
    assert "SqsManagedSseEnabled" in names and "QueueArn" in names


def test_selected_names_keep_request_order_without_duplicates():
    assert select_attribute_names(["QueueArn", "DelaySeconds", "QueueArn"], False) == [
        "QueueArn",
        "DelaySeconds",
    ]
    assert select_attribute_names(["FifoQueue", "DelaySeconds"], False) == ["DelaySeconds"]
    assert select_attribute_names(["FifoQueue", "DelaySeconds"], True) == ["FifoQueue", "DelaySeconds"]
    assert select_attribute_names([], False) == []
    assert select_attribute_names(["DelaySeconds", "All"], False)[0] == "DelaySeconds"


@pytest.mark.parametrize("names", [["Bogus"], ["All", "Bogus"], ["queueArn"]])
def test_unknown_names_on_get(names):
    e = error(select_attribute_names, names, True)
    assert (e.code, e.message) == ("InvalidAttributeName", f"Unknown Attribute {names[-1]}.")


def test_attribute_name_tables():
    assert len(ATTRIBUTE_NAMES) == len(set(ATTRIBUTE_NAMES)) == 21
    assert set(READ_ONLY_ATTRIBUTES) <= set(ATTRIBUTE_NAMES)
    assert set(FIFO_ONLY_ATTRIBUTES) <= set(ATTRIBUTE_NAMES)


# -- tags ---------------------------------------------------------------------------------------


def test_valid_tags():
    check_tags({})
    check_tags({"k" * 128: "v" * 256, "empty": "", "üñí cødé:/=+-@": "x"})
    check_tags({f"t{i}": "v" for i in range(50)})


@pytest.mark.parametrize(
    ("tags", "name", "message"),
    [
        ({f"t{i}": "v" for i in range(51)}, "q1", "Too many tags added for queue q1."),
        ({f"t{i}": "v" for i in range(51)}, "", "Too many tags added for queue."),
        ({"": "v"}, "q1", "Tag keys must be between 1 and 128 characters in length."),
        ({"k" * 129: "v"}, "q1", "Tag keys must be between 1 and 128 characters in length."),
        ({"k": "v" * 257}, "q1", "Tag values must be between 0 and 256 characters in length."),
    ],
)
def test_invalid_tags(tags, name, message):
    e = error(check_tags, tags, name)
    assert (e.code, e.message) == ("InvalidParameterValueException", message)
