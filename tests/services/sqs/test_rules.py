import random

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.sqs.rules import (
    check_batch,
    check_batch_size,
    check_body,
    check_deduplication_id,
    check_fifo_id,
    check_message_attributes,
    check_message_group_id,
    check_receive_request_attempt_id,
    check_size,
    message_size,
    missing_deduplication_id,
    missing_group_id,
)

IPV = "InvalidParameterValueException"
ALLOWED = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"


def error(call, *args, **kwargs) -> AwsError:
    with pytest.raises(AwsError) as caught:
        call(*args, **kwargs)
    return caught.value


def s(value, data_type="String"):
    return {"DataType": data_type, "StringValue": value}


# --- body ---------------------------------------------------------------------------------------


def test_empty_body_is_a_missing_parameter():
    e = error(check_body, "")
    assert (e.code, e.message, e.status) == (
        "MissingRequiredParameterException",
        "The request must contain the parameter MessageBody.",
        400,
    )


@pytest.mark.parametrize(
    "body", ["x", "\t\n\r", " ~\x7f", "é€", "\ud7ff\ue000\ufffd", "\U00010000\U0010ffff😀", "a" * 5000]
)
def test_allowed_bodies(body):
    check_body(body)


def test_invalid_character_uses_aws_text():
    e = error(check_body, "ab\x07c")
    assert e.code == "InvalidMessageContents"
    assert e.message == (
        f"Invalid binary character '#x7' was found in the message body, the set of allowed characters is {ALLOWED}."
    )


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("\x00", "#x0"),
        ("ok\x0b", "#xB"),
        ("\x0c", "#xC"),
        ("\x1f", "#x1F"),
        ("é\x01", "#x1"),
        ("x\ufffe", "#xFFFE"),
        ("\uffff", "#xFFFF"),
        ("lone \ud800 surrogate", "#xD800"),
        ("\udfff", "#xDFFF"),
    ],
)
def test_forbidden_characters(body, shown):
    e = error(check_body, body)
    assert e.code == "InvalidMessageContents"
    assert f"'{shown}'" in e.message


def test_first_forbidden_character_is_reported():
    assert "'#x2'" in error(check_body, "a\x02b\x03").message
    assert "'#xFFFF'" in error(check_body, "é\uffff\x03").message


def _reference_ok(text: str) -> bool:
    return all(
        c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) >= 0x10000
        for c in text
    )


def test_body_check_agrees_with_a_character_loop():
    rng = random.Random(7)
    pool = ["a", "\t", "\x00", "\x1f", "\x7f", "é", "\ud7ff", "\ud800", "\ue000", "\ufffe", "\U0001f600"]
    for _ in range(3000):
        body = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        try:
            check_body(body)
            ok = True
        except AwsError:
            ok = False
        assert ok == _reference_ok(body), repr(body)


# --- size ---------------------------------------------------------------------------------------


def test_message_size_counts_utf8_body_and_attribute_parts():
    assert message_size("abc", None) == 3
    assert message_size("é😀", {}) == 6
    attrs = {"name": s("välue"), "bin": {"DataType": "Binary.x", "BinaryValue": b"\x00\x01"}}
    assert message_size("abc", attrs) == 3 + (4 + 6 + 6) + (3 + 8 + 2)


def test_size_limit_is_inclusive():
    check_size(1024, 1024)
    e = error(check_size, 1025, 1024)
    assert (e.code, e.message) == (
        IPV,
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    )
    assert "shorter than 1048576 bytes" in error(check_size, 1048577, 1048576).message


# --- message attributes -------------------------------------------------------------------------


def attr_error(attrs, **kwargs) -> str:
    e = error(check_message_attributes, attrs, **kwargs)
    assert e.code == IPV
    assert e.status == 400
    return e.message


def test_valid_attributes():
    check_message_attributes(None)
    check_message_attributes({})
    check_message_attributes(
        {
            "a": s("x"),
            "A-b_c.d": s("-1.5e3", "Number"),
            "n2": s("12345678901234567890123456789012345678", "Number.int"),
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00"},
            "custom": {"DataType": "Binary.gif", "BinaryValue": b"GIF"},
            "attr.1øßä": s("umlauts are accepted by AWS"),
            "L" * 256: s("256 characters is the limit, inclusive"),
        }
    )


def test_too_many_attributes():
    attrs = {f"a{i}": s("v") for i in range(11)}
    assert attr_error(attrs) == "Number of message attributes [11] exceeds the allowed maximum [10]."
    check_message_attributes({f"a{i}": s("v") for i in range(10)})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "The request must contain non-empty message (user) attribute names."),
        ("L" * 257, "Message (user) attribute names must be shorter than 256 Bytes"),
        (
            "has space",
            "Message (user) attributes name can only contain upper and lower score characters, digits, "
            "periods, hyphens and underscores. ",
        ),
        ("Invalid-§-attr", None),
        ("Invalid-!-attr", None),
        ('Invalid-"-attr', None),
        ("Invalid-?-attr", None),
        (
            "AWS.x",
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. "
            "These strings are reserved for internal use.",
        ),
        ("aWs.-Invalid-attr", None),
        ("AMAZON.-Invalid-attr", None),
        ("amazon.x", None),
        (".lead", "Message (user) attribute name must not begin with character '.'."),
        ("trail.", "Message (user) attribute name must not end with character '.'."),
        ("two..dots", "Message (user) attribute name must not have successive '.' characters."),
    ],
)
def test_attribute_names(name, message):
    got = attr_error({name: s("v")})
    if message is not None:
        assert got == message


def test_aws_prefix_needs_the_dot():
    check_message_attributes({"AWSx": s("v"), "Amazonian": s("v")})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "The message (user) attribute 'a' must contain a non-empty message attribute value."),
        ("text", "The message (user) attribute 'a' must contain a non-empty message attribute value."),
        (
            {"StringValue": "x"},
            "The message (user) attribute 'a' must contain a non-empty message attribute type.",
        ),
        (
            {"DataType": "", "StringValue": "x"},
            "The message (user) attribute 'a' must contain a non-empty message attribute type.",
        ),
        (
            {"DataType": "string", "StringValue": "x"},
            "The type of message (user) attribute 'a' is invalid. You must use only the following "
            "supported type prefixes: Binary, Number, String.",
        ),
        ({"DataType": "Invalid", "StringValue": "x"}, None),
        ({"DataType": "Stringy", "StringValue": "x"}, None),
        ({"DataType": "String.\x00", "StringValue": "x"}, None),
        (
            {"DataType": "Number." + "L" * 256, "StringValue": "1"},
            "Message (user) attribute types must be shorter than 256 Bytes",
        ),
        (
            {"DataType": "StringList", "StringListValues": ["x"]},
            "Message attribute list values in SendMessage operation are not supported.",
        ),
        (
            {"DataType": "Binary", "BinaryListValues": [b"x"]},
            "Message attribute list values in SendMessage operation are not supported.",
        ),
        (
            {"DataType": "String", "StringValue": "x", "BinaryValue": b"x"},
            "Message (user) attribute 'a' must have a single value.",
        ),
        (
            {"DataType": "String", "StringValue": ""},
            "Message (user) attribute 'a' must contain a non-empty value of type 'String'.",
        ),
        (
            {"DataType": "Number"},
            "Message (user) attribute 'a' must contain a non-empty value of type 'Number'.",
        ),
        (
            {"DataType": "Binary", "BinaryValue": b""},
            "Message (user) attribute 'a' must contain a non-empty value of type 'Binary'.",
        ),
        (
            {"DataType": "Binary", "StringValue": "x"},
            "Message (user) attribute 'a' with type 'Binary' must use field 'Binary'.",
        ),
        (
            {"DataType": "Number.int", "BinaryValue": b"1"},
            "Message (user) attribute 'a' with type 'Number' must use field 'String'.",
        ),
        (
            {"DataType": "String", "StringValue": "bad\x08char"},
            f"Invalid binary character '#x8' was found in the message body, the set of allowed characters is {ALLOWED}.",
        ),
    ],
)
def test_attribute_values(value, message):
    got = attr_error({"a": value})
    if message is not None:
        assert got == message


def test_list_values_text_names_the_operation():
    attrs = {"a": {"DataType": "String", "StringListValues": ["x"]}}
    assert "in SendMessageBatch operation" in attr_error(attrs, operation="SendMessageBatch")


@pytest.mark.parametrize(
    "number",
    [
        "0",
        "-0",
        "7",
        "+7",
        "-12.5",
        "1.",
        ".5",
        "1e3",
        "1E-3",
        "1e126",
        "-1e126",
        "1e-128",
        "0e999999",
        "0.000",
    ],
)
def test_numbers_accepted(number):
    check_message_attributes({"n": s(number, "Number")})


@pytest.mark.parametrize(
    "number",
    ["abc", "", " 1", "1 ", "1,5", "0x10", "1e", ".", "-", "NaN", "Infinity", "1_000", "١٢", "1e127", "-2e126",
     "1e-129", "1e999999999999999999999", "9" * 127],
)  # fmt: skip
def test_numbers_rejected(number):
    message = attr_error({"Age": s(number, "Number")})
    if number:
        assert message == "Can't cast the value of message (user) attribute 'Age' to a number."


def test_checks_run_in_name_order():
    attrs = {"b": s("", "String"), "a": s("x", "Nope")}
    assert "'a'" in attr_error(attrs)


# --- system attributes --------------------------------------------------------------------------


def test_trace_header_is_the_only_system_attribute():
    check_message_attributes({"AWSTraceHeader": s("Root=1-5759e988-bd862e3fe1be46a994272793")}, system=True)
    assert attr_error({"Other": s("x")}, system=True) == "Message system attribute name 'Other' is invalid."


def test_trace_header_must_be_a_string():
    message = attr_error({"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}}, system=True)
    assert message == (
        "The message system attribute 'AWSTraceHeader' is reserved for AWS X-Ray trace header. "
        "The type must be 'String'."
    )


def test_system_texts_say_system():
    message = attr_error({"AWSTraceHeader": s("")}, system=True)
    assert (
        message
        == "Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."
    )


# --- batches ------------------------------------------------------------------------------------


def entries(*ids):
    return [{"Id": i, "MessageBody": "x"} for i in ids]


def test_valid_batch():
    check_batch(entries("a", "B-2", "_", "x" * 80), what="SendMessageBatchRequestEntry")


@pytest.mark.parametrize(
    "what",
    [
        "SendMessageBatchRequestEntry",
        "DeleteMessageBatchRequestEntry",
        "ChangeMessageVisibilityBatchRequestEntry",
    ],
)
def test_empty_batch(what):
    e = error(check_batch, [], what=what)
    assert (e.code, e.message) == (
        "EmptyBatchRequest",
        f"There should be at least one {what} in the request.",
    )


def test_too_many_entries():
    e = error(check_batch, entries(*[str(i) for i in range(20)]), what="DeleteMessageBatchRequestEntry")
    assert (e.code, e.message) == (
        "TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 20.",
    )
    check_batch(entries(*[str(i) for i in range(10)]), what="DeleteMessageBatchRequestEntry")


@pytest.mark.parametrize("bad", ["", "x" * 81, "invalid:id", "with space", "é", "a.b"])
def test_invalid_entry_ids(bad):
    e = error(check_batch, entries("ok", bad), what="SendMessageBatchRequestEntry")
    assert (e.code, e.message) == (
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long.",
    )


def test_repeated_ids():
    e = error(check_batch, entries("a", "b", "a"), what="ChangeMessageVisibilityBatchRequestEntry")
    assert (e.code, e.message) == ("BatchEntryIdsNotDistinct", "Id a repeated.")


def test_missing_id():
    e = error(check_batch, [{"Id": "a"}, {"MessageBody": "x"}], what="SendMessageBatchRequestEntry")
    assert (e.code, e.message) == (
        "MissingRequiredParameterException",
        "The request must contain the parameter SendMessageBatchRequestEntry.2.Id.",
    )


def test_batch_size():
    check_batch_size(1_048_576)
    e = error(check_batch_size, 1_048_577)
    assert (e.code, e.message) == (
        "BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.",
    )


# --- FIFO parameters ----------------------------------------------------------------------------

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@pytest.mark.parametrize(
    "check", [check_message_group_id, check_deduplication_id, check_receive_request_attempt_id]
)
def test_fifo_ids_accept_alphanumerics_and_punctuation(check):
    check("a")
    check("Z9" + PUNCTUATION)
    check("x" * 128)


@pytest.mark.parametrize(
    ("check", "parameter"),
    [
        (check_message_group_id, "MessageGroupId"),
        (check_deduplication_id, "MessageDeduplicationId"),
        (check_receive_request_attempt_id, "ReceiveRequestAttemptId"),
    ],
)
@pytest.mark.parametrize("bad", ["1" * 129, "", "with space", "tab\t", "é", "ctl\x08"])
def test_fifo_ids_rejected(check, parameter, bad):
    e = error(check, bad)
    assert (e.code, e.message) == (
        IPV,
        f"Value {bad} for parameter {parameter} is invalid. Reason: {parameter} can only include "
        "alphanumeric and punctuation characters. 1 to 128 in length.",
    )


def test_missing_group_id():
    single, batch = missing_group_id(), missing_group_id(batch=True)
    assert (single.code, single.message) == (
        "MissingRequiredParameterException",
        "The request must contain the parameter MessageGroupId.",
    )
    assert (batch.code, batch.message) == (IPV, "The request must contain the parameter MessageGroupId.")


def test_check_fifo_id_takes_the_parameter_name_first():
    check_fifo_id("MessageGroupId", "g-1")
    assert (
        "parameter ReceiveRequestAttemptId" in error(check_fifo_id, "ReceiveRequestAttemptId", "a b").message
    )


def test_missing_deduplication_id():
    e = missing_deduplication_id()
    assert (e.code, e.message) == (
        IPV,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    )
