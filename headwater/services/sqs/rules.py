"""Message validation with AWS's exact error codes and texts.

Codes are the JSON ``__type`` shape names AWS's JSON protocol sends: the modelled shapes
(``InvalidMessageContents``, ``EmptyBatchRequest``, ...) and, for the two unmodelled errors,
``InvalidParameterValueException`` (Query code InvalidParameterValue) and
``MissingRequiredParameterException`` (Query code MissingParameter). The Query codes and HTTP
statuses are mapped elsewhere, as data.

Where a text comes from (strongest first): AWS responses recorded in LocalStack's snapshot files
(the size, batch, FIFO-id and empty-String-value texts) or quoted from live AWS in public issues
(the body-character, attribute-count, Number-cast, type-prefix, EmptyBatchRequest and
BatchEntryIdsNotDistinct texts); the remaining attribute texts (name, length, field and list rules)
follow emulators that transcribed AWS's responses, and are the weakest.

Attribute names accept Unicode letters and digits besides ``_.-``: AWS accepts ``attr.1øßä`` (an
AWS-validated LocalStack test) though the guide lists ASCII only. Checks run in a fixed order so a
request breaking two rules always reports the same one: the count, then each attribute in name
order (name, then type, then value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from headwater.protocol.errors import AwsError

INVALID_PARAMETER_VALUE = "InvalidParameterValueException"
MISSING_PARAMETER = "MissingRequiredParameterException"

MAX_ATTRIBUTES = 10
MAX_ATTRIBUTE_NAME = 256
MAX_ATTRIBUTE_TYPE = 256
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_ID = 80
MAX_FIFO_ID = 128
SYSTEM_ATTRIBUTES = frozenset({"AWSTraceHeader"})

# XML 1.0 characters: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF (the model's rule)
_BAD_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BAD_ASCII = bytes(c for c in range(0x20) if c not in (0x9, 0xA, 0xD))
_ALLOWED_TEXT = (
    "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"  # AWS's own rendering
)
_NAME = re.compile(r"[\w.-]+")  # Unicode \w: letters, digits, underscore
_TYPE = re.compile(r"(String|Number|Binary)(\..*)?", re.DOTALL)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_MIN = Decimal("1e-128")  # the guide: "between 10^-128 and 10^+126", in magnitude
_NUMBER_MAX = Decimal("1e126")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")


def invalid_parameter(message: str) -> AwsError:
    return AwsError(INVALID_PARAMETER_VALUE, message)


def missing_parameter(name: str) -> AwsError:
    return AwsError(MISSING_PARAMETER, f"The request must contain the parameter {name}.")


# --- body and size ------------------------------------------------------------------------------


def check_body(body: str) -> None:
    """An empty body is a missing parameter; a character outside XML 1.0 is InvalidMessageContents."""
    if not body:
        raise missing_parameter("MessageBody")
    if bad := _first_bad_char(body):
        raise AwsError("InvalidMessageContents", _bad_char_message(bad))


def message_size(body: str, attrs: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes counted toward MaximumMessageSize: the UTF-8 body plus every attribute's name,
    DataType and value. System attributes (AWSTraceHeader) do not count."""
    size = _utf8_len(body)
    if attrs:
        for name, attr in attrs.items():
            # .get: a batch's size is counted before its entries are validated
            size += _utf8_len(name) + _utf8_len(attr.get("DataType") or "")
            string = attr.get("StringValue")
            size += _utf8_len(string) if string is not None else len(attr.get("BinaryValue") or b"")
    return size


def check_size(size: int, limit: int) -> None:
    """AWS's error for a message over the queue's MaximumMessageSize (`limit` itself is allowed)."""
    if size > limit:
        raise invalid_parameter(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
        )


# --- message attributes -------------------------------------------------------------------------


def check_message_attributes(
    attrs: Mapping[str, Any] | None, *, system: bool = False, operation: str = "SendMessage"
) -> None:
    """Validates MessageAttributes (or, with `system`, MessageSystemAttributes) as AWS does.

    `operation` names the action in the list-values text (SendMessage or SendMessageBatch).
    """
    if not attrs:
        return
    kind = "system" if system else "(user)"
    if system:
        for name in attrs:
            if name not in SYSTEM_ATTRIBUTES:
                raise invalid_parameter(f"Message system attribute name '{name}' is invalid.")
    if len(attrs) > MAX_ATTRIBUTES:
        raise invalid_parameter(
            f"Number of message attributes [{len(attrs)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    for name in sorted(attrs):
        attr = attrs[name]
        _check_name(name, kind)
        if system and isinstance(attr, Mapping) and attr.get("DataType") not in (None, "", "String"):
            raise invalid_parameter(
                f"The message system attribute '{name}' is reserved for AWS X-Ray trace header. "
                "The type must be 'String'."
            )
        _check_value(name, attr, kind, operation)


def _check_name(name: str, kind: str) -> None:
    if not name:
        raise invalid_parameter(f"The request must contain non-empty message {kind} attribute names.")
    if len(name) > MAX_ATTRIBUTE_NAME:
        raise invalid_parameter(f"Message {kind} attribute names must be shorter than 256 Bytes")
    if not _NAME.fullmatch(name):
        raise invalid_parameter(
            f"Message {kind} attributes name can only contain upper and lower score characters, "
            "digits, periods, hyphens and underscores. "  # sic: AWS's wording, trailing space included
        )
    lowered = name.lower()
    if lowered.startswith(("aws.", "amazon.")):
        raise invalid_parameter(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. "
            "These strings are reserved for internal use."
        )
    if name.startswith("."):
        raise invalid_parameter(f"Message {kind} attribute name must not begin with character '.'.")
    if name.endswith("."):
        raise invalid_parameter(f"Message {kind} attribute name must not end with character '.'.")
    if ".." in name:
        raise invalid_parameter(f"Message {kind} attribute name must not have successive '.' characters.")


def _check_value(name: str, attr: Any, kind: str, operation: str) -> None:
    if not isinstance(attr, Mapping) or not attr:
        raise invalid_parameter(
            f"The message {kind} attribute '{name}' must contain a non-empty message attribute value."
        )
    if attr.get("StringListValues") or attr.get("BinaryListValues"):
        raise invalid_parameter(f"Message attribute list values in {operation} operation are not supported.")
    data_type = attr.get("DataType")
    if not data_type:
        raise invalid_parameter(
            f"The message {kind} attribute '{name}' must contain a non-empty message attribute type."
        )
    if not _TYPE.fullmatch(data_type) or _first_bad_char(data_type):
        raise invalid_parameter(
            f"The type of message {kind} attribute '{name}' is invalid. "
            "You must use only the following supported type prefixes: Binary, Number, String."
        )
    if len(data_type) > MAX_ATTRIBUTE_TYPE:
        raise invalid_parameter(f"Message {kind} attribute types must be shorter than 256 Bytes")
    string, binary = attr.get("StringValue"), attr.get("BinaryValue")
    if string is not None and binary is not None:
        raise invalid_parameter(f"Message {kind} attribute '{name}' must have a single value.")
    if not string and not binary:
        raise invalid_parameter(
            f"Message {kind} attribute '{name}' must contain a non-empty value of type '{data_type}'."
        )
    base = data_type.partition(".")[0]
    if base == "Binary":
        if binary is None:
            raise invalid_parameter(
                f"Message {kind} attribute '{name}' with type 'Binary' must use field 'Binary'."
            )
        return
    if string is None:
        raise invalid_parameter(
            f"Message {kind} attribute '{name}' with type '{base}' must use field 'String'."
        )
    if bad := _first_bad_char(string):
        # AWS answers InvalidParameterValue here, with the body's text (LocalStack, AWS-validated)
        raise invalid_parameter(_bad_char_message(bad))
    if base == "Number" and not _is_number(string):
        raise invalid_parameter(f"Can't cast the value of message {kind} attribute '{name}' to a number.")


def _is_number(text: str) -> bool:
    if not _NUMBER.fullmatch(text):
        return False
    try:
        magnitude = Decimal(text).copy_abs()  # copy_abs, unlike abs(), ignores the context's Emax
    except ArithmeticError:  # an exponent beyond even Decimal's range
        return False
    return not magnitude or _NUMBER_MIN <= magnitude <= _NUMBER_MAX


# --- batches ------------------------------------------------------------------------------------


def check_batch(entries: Sequence[Mapping[str, Any]], *, what: str) -> None:
    """Entry-count and Id rules shared by the three batch actions.

    `what` is the entry shape AWS names in its texts: SendMessageBatchRequestEntry,
    DeleteMessageBatchRequestEntry or ChangeMessageVisibilityBatchRequestEntry.
    """
    if not entries:
        raise AwsError("EmptyBatchRequest", f"There should be at least one {what} in the request.")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise AwsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        entry_id = entry.get("Id")
        if entry_id is None:
            raise missing_parameter(f"{what}.{index}.Id")
        if not isinstance(entry_id, str) or not _BATCH_ID.fullmatch(entry_id):
            raise AwsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                f"It can be at most {MAX_BATCH_ID} letters long.",
            )
        if entry_id in seen:
            raise AwsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)


def check_batch_size(total: int) -> None:
    """SendMessageBatch's limit on the sum of its messages' sizes."""
    if total > MAX_BATCH_BYTES:
        raise AwsError(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
        )


# --- FIFO parameters ----------------------------------------------------------------------------


def check_fifo_id(parameter: str, value: str) -> None:
    """1 to 128 characters, ASCII alphanumerics and punctuation: MessageGroupId,
    MessageDeduplicationId and ReceiveRequestAttemptId share the rule and the text."""
    if not _FIFO_ID.fullmatch(value):
        raise invalid_parameter(
            f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include "
            "alphanumeric and punctuation characters. 1 to 128 in length."
        )


def check_message_group_id(value: str) -> None:
    check_fifo_id("MessageGroupId", value)


def check_deduplication_id(value: str) -> None:
    check_fifo_id("MessageDeduplicationId", value)


def check_receive_request_attempt_id(value: str) -> None:
    check_fifo_id("ReceiveRequestAttemptId", value)


def missing_group_id(*, batch: bool = False) -> AwsError:
    """A FIFO send without MessageGroupId: MissingParameter for SendMessage, but AWS reports the
    same text as InvalidParameterValue inside SendMessageBatch (both recorded by LocalStack)."""
    message = "The request must contain the parameter MessageGroupId."
    return invalid_parameter(message) if batch else AwsError(MISSING_PARAMETER, message)


def missing_deduplication_id() -> AwsError:
    """A FIFO send with neither MessageDeduplicationId nor ContentBasedDeduplication."""
    return invalid_parameter(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
        "provided explicitly"
    )


# --- helpers ------------------------------------------------------------------------------------


def _first_bad_char(text: str) -> str | None:
    # ASCII fast path: deleting the forbidden control bytes is ~4x quicker than a regex scan
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _BAD_ASCII)) == len(raw):
            return None
    found = _BAD_CHAR.search(text)
    return found.group() if found else None


def _bad_char_message(char: str) -> str:
    return (
        f"Invalid binary character '#x{ord(char):X}' was found in the message body, "
        f"the set of allowed characters is {_ALLOWED_TEXT}."
    )


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
