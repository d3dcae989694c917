"""SQS queue attributes: AWS's validation, defaults and set-time rules, as pure functions.

Theory of operation. The core keeps a queue's settable attributes as ``dict[str, str]`` in the
exact string form GetQueueAttributes returns (read-only ones such as QueueArn are computed by the
core and never stored here). Every request value goes through one normaliser, so stored values,
CreateQueue idempotency checks and responses all agree:

* integers are parsed like AWS's backend parses them (ASCII digits, optional sign) and stored in
  canonical decimal, so ``"030"`` is stored and echoed as ``"30"``; ``""``, ``" 2"``, ``"2.5"``
  and out-of-range values are rejected with ``Invalid value for the parameter X.``;
* booleans are case-insensitive (AWS's Java backend and CloudFormation's ``True`` both work) and
  stored lower-case;
* RedrivePolicy is re-serialised compactly with ``maxReceiveCount`` as a JSON number: AWS accepts
  ``5`` or ``"5"`` and always returns ``5``. Policy and RedriveAllowPolicy are kept verbatim;
* ``""`` for Policy, RedrivePolicy, RedriveAllowPolicy or KmsMasterKeyId means "absent" (create)
  or "remove" (set).

Error codes are the JSON ``__type`` names (another module maps them to the Query dialect).
Message texts are AWS's: recorded from real AWS (LocalStack's `test_sqs.snapshot.json`), quoted
from real AWS responses in public bug reports, or asserted by local-aws-sqs's tests (which mirror
AWS). The few texts no source shows (tag lengths, DeduplicationScope/FifoThroughputLimit values)
follow AWS's wording for the neighbouring cases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.protocol.errors import AwsError

READ_ONLY_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
FIFO_ONLY_ATTRIBUTES = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
# The model's QueueAttributeName enum order, without the `All` selector.
ATTRIBUTE_NAMES = (
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
)

DEFAULTS: Mapping[str, str] = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",  # SSE-SQS is on for new queues since late 2022
}
# AWS answers `queue` (not `messageQueue`) for the default de-duplication scope.
FIFO_DEFAULTS: Mapping[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
KMS_REUSE_DEFAULT = "300"

_INT_RANGES = {
    "VisibilityTimeout": (0, 43_200),
    "MaximumMessageSize": (1_024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "DelaySeconds": (0, 900),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_BOOLEANS = ("ContentBasedDeduplication", "SqsManagedSseEnabled")
_CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_REMOVABLE = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII only: int() alone would take "1_0" or Arabic digits


def _integer(value: str) -> int | None:
    """An attribute's integer text as a number, None when it is not one. Thousands of digits are
    refused before int(), whose digit limit would raise (and whose cost grows with the length)."""
    if not _INTEGER.fullmatch(value):
        return None
    digits = value.lstrip("+-").lstrip("0")
    if len(digits) > 30:
        return None
    sign = "-" if value[0] == "-" else ""
    return int(sign + (digits or "0"))


_STANDARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")  # the suffix counts towards the 80
_ARN = re.compile(r"arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]+):([0-9]{12}):(.+)")

POLICY_MAX_BYTES = 8_192
POLICY_MAX_STATEMENTS = 20
REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")
MAX_SOURCE_QUEUE_ARNS = 10
MAX_TAGS = 50

_POLICY_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_SSE_BOTH = "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
_ALLOW_POLICY_FORMAT = (
    "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow"
    " policy, as it\u2019s in an unsupported format."
)


# -- errors -------------------------------------------------------------------------------------


def _unknown(name: str) -> AwsError:
    return AwsError("InvalidAttributeName", f"Unknown Attribute {name}.")


def _bad_value(name: str, reason: str | None = None) -> AwsError:
    text = f"Invalid value for the parameter {name}."
    return AwsError("InvalidAttributeValue", f"{text} Reason: {reason}" if reason else text)


def _invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message)


def _invalid_policy_value(name: str, raw: str, reason: str) -> AwsError:
    return _invalid_parameter(f"Value {raw} for parameter {name} is invalid. Reason: {reason}")


def invalid_redrive_policy(raw: str, reason: str) -> AwsError:
    """For the core's cross-queue checks, e.g. reason ``Dead letter target does not exist.`` or
    ``Dead-letter queue must be same type of queue as the source..`` (sic, AWS's double period)."""
    return _invalid_policy_value("RedrivePolicy", raw, reason)


def queue_exists_error(attribute: str) -> AwsError:
    """CreateQueue on an existing name whose `attribute` differs (AWS: no final period)."""
    return AwsError(
        "QueueNameExists",
        f"A queue already exists with the same name and a different value for attribute {attribute}",
    )


# -- queue names --------------------------------------------------------------------------------


def validate_queue_name(name: str, attributes: Mapping[str, Any] | None = None) -> bool:
    """Check `name` against the requested FifoQueue attribute; True for a FIFO queue.

    FifoQueue is checked first: any value but ``true`` (even ``false``) is an unknown attribute
    on CreateQueue, as AWS answers it.
    """
    fifo_value = (attributes or {}).get("FifoQueue")
    fifo = fifo_value is not None and _text(fifo_value).lower() == "true"
    if fifo_value is not None and not fifo:
        raise _unknown("FifoQueue")
    if not name:
        raise _invalid_parameter("Queue name cannot be empty")
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise _invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores,"
            " must end with .fifo suffix and be 1 to 80 in length."
        )
    if not fifo and not _STANDARD_NAME.fullmatch(name):
        raise _invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    return fifo


# -- attribute maps -----------------------------------------------------------------------------


def create_attributes(name: str, requested: Mapping[str, Any]) -> dict[str, str]:
    """Validate a CreateQueue request (name included) and return the queue's full attribute map."""
    fifo = validate_queue_name(name, requested)
    values = _validated(requested, fifo, creating=True)
    _check_throughput(values.get("FifoThroughputLimit"), values.get("DeduplicationScope", "queue"))
    result = dict(DEFAULTS)
    if fifo:
        result.update(FIFO_DEFAULTS)
    result.update((k, v) for k, v in values.items() if v != "" or k not in _REMOVABLE)
    if result.get("KmsMasterKeyId"):
        result["SqsManagedSseEnabled"] = "false"
        result.setdefault("KmsDataKeyReusePeriodSeconds", KMS_REUSE_DEFAULT)
    return _ordered(result)


def set_attributes(current: Mapping[str, str], changes: Mapping[str, Any], fifo: bool) -> dict[str, str]:
    """The attribute map after SetQueueAttributes(`changes`) on a queue holding `current`."""
    if not changes:
        raise AwsError(
            "MissingRequiredParameterException", "The request must contain the parameter Attribute.Name."
        )
    values = _validated(changes, fifo, creating=False)
    result = dict(current)
    for key, value in values.items():
        if key == "FifoQueue":
            continue  # only `true` on a FIFO queue gets here: a no-op
        if key in _REMOVABLE and value == "":
            result.pop(key, None)
        else:
            result[key] = value
    # One SSE kind at a time: switching to one drops the other.
    if values.get("SqsManagedSseEnabled") == "true":
        result.pop("KmsMasterKeyId", None)
        result.pop("KmsDataKeyReusePeriodSeconds", None)
    if values.get("KmsMasterKeyId"):
        result["SqsManagedSseEnabled"] = "false"
        result.setdefault("KmsDataKeyReusePeriodSeconds", KMS_REUSE_DEFAULT)
    elif values.get("KmsMasterKeyId") == "" and "KmsDataKeyReusePeriodSeconds" not in values:
        result.pop("KmsDataKeyReusePeriodSeconds", None)
    _check_throughput(values.get("FifoThroughputLimit"), result.get("DeduplicationScope", "queue"))
    return _ordered(result)


def differs_for_create(existing: Mapping[str, str], requested: Mapping[str, Any]) -> str | None:
    """The first requested attribute whose value differs from the existing queue's, else None.

    Only the attributes in the request count (AWS returns the URL for a bare CreateQueue even after
    SetQueueAttributes changed the queue). Values are compared after normalisation; invalid values
    raise as they would on a new queue. Raise `queue_exists_error(name)` for a non-None answer.
    """
    fifo = existing.get("FifoQueue") == "true"
    for key, value in _validated(requested, fifo, creating=True).items():
        implicit = KMS_REUSE_DEFAULT if key == "KmsDataKeyReusePeriodSeconds" else ""
        if not _same(key, existing.get(key, implicit), value):
            return key
    return None


def select_attribute_names(requested: Iterable[str], fifo: bool) -> list[str]:
    """GetQueueAttributes: the names to answer, `All` expanded, duplicates dropped.

    FIFO-only names are left out for a standard queue; names with no value (Policy on a queue
    without one...) are for the caller to skip.
    """
    selected: dict[str, None] = {}
    for name in requested:
        if name == "All":
            names: Iterable[str] = ATTRIBUTE_NAMES
        elif name in ATTRIBUTE_NAMES:
            names = (name,)
        else:
            raise _unknown(name)
        selected.update((n, None) for n in names if fifo or n not in FIFO_ONLY_ATTRIBUTES)
    return list(selected)


def _validated(requested: Mapping[str, Any], fifo: bool, *, creating: bool) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, raw in requested.items():
        if raw is None:  # a JSON null is an absent attribute
            continue
        _check_name(name, fifo)
        values[name] = _normalise(name, _text(raw), creating)
    if values.get("SqsManagedSseEnabled") == "true" and values.get("KmsMasterKeyId"):
        raise AwsError("InvalidAttributeName", _SSE_BOTH)
    return values


def _check_name(name: str, fifo: bool) -> None:
    if name not in ATTRIBUTE_NAMES or name in READ_ONLY_ATTRIBUTES:
        raise _unknown(name)
    if not fifo and name in ("FifoQueue", "ContentBasedDeduplication"):
        raise _unknown(name)
    if not fifo and name in _CHOICES:
        raise AwsError(
            "InvalidAttributeName", f"You can specify the {name} only when FifoQueue is set to true."
        )


def _normalise(name: str, value: str, creating: bool) -> str:
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        number = _integer(value)
        if number is None or not low <= number <= high:
            raise _bad_value(name)
        return str(number)
    if name in _BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise _bad_value(name)
        return value.lower()
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise _bad_value(name)
        return value
    if name == "FifoQueue":  # reached on a FIFO queue only; CreateQueue checked it with the name
        if value.lower() != "true":
            raise _bad_value(name, "Modifying queue type is not supported.")
        return "true"
    if value == "":
        return value
    if name == "Policy":
        _check_policy(value, creating)
    elif name == "RedrivePolicy":
        return parse_redrive_policy(value).to_json()
    elif name == "RedriveAllowPolicy":
        parse_redrive_allow_policy(value)
    return value  # KmsMasterKeyId: any key id, alias or ARN; KMS resolves it on use


def _check_throughput(limit: str | None, scope: str | None) -> None:
    if limit == "perMessageGroupId" and scope != "messageGroup":
        raise _bad_value(
            "FifoThroughputLimit",
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.",
        )


def _same(name: str, have: str, want: str) -> bool:
    if have == want:
        return True
    if name in ("Policy", "RedrivePolicy", "RedriveAllowPolicy") and have and want:
        try:
            return json.loads(have) == json.loads(want)
        except ValueError:
            return False
    return False


def _ordered(attributes: Mapping[str, str]) -> dict[str, str]:
    return {name: attributes[name] for name in ATTRIBUTE_NAMES if name in attributes}


def _text(value: Any) -> str:
    """Attribute values are strings on the wire; tolerate JSON numbers and booleans as AWS does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


# -- Policy -------------------------------------------------------------------------------------


def _check_policy(text: str, creating: bool) -> None:
    invalid = _bad_value("Policy")
    try:
        size = len(text.encode())
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 JSON document carries one
        raise invalid from None
    if size > POLICY_MAX_BYTES:
        raise invalid
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid from None
    if not isinstance(document, dict) or not document.keys() <= _POLICY_KEYS:
        raise invalid
    if "Version" in document and document["Version"] not in ("2012-10-17", "2008-10-17"):
        raise invalid
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise invalid
    if len(statements) > POLICY_MAX_STATEMENTS:
        message = f"{len(statements)} statements were found in the submitted policy, max allowed is 20"
        raise _invalid_parameter(message) if creating else AwsError("OverLimit", message)
    for statement in statements:
        if not isinstance(statement, dict) or not statement.keys() <= _STATEMENT_KEYS:
            raise invalid
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise invalid


# -- redrive policies ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    dead_letter_target_arn: str
    max_receive_count: int

    def to_json(self) -> str:
        """AWS's stored form: compact, maxReceiveCount as a number."""
        document = {
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        }
        return json.dumps(document, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class RedriveAllowPolicy:
    permission: str
    source_queue_arns: tuple[str, ...] = ()


def parse_redrive_policy(text: str) -> RedrivePolicy:
    """Parse a RedrivePolicy value; AWS's errors quote the value exactly as sent."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise _invalid_parameter(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."
        )
    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in document:
            raise invalid_redrive_policy(text, f"Redrive policy does not contain mandatory attribute: {key}.")
    count = _receive_count(document["maxReceiveCount"])
    if count is None:
        shown = document["maxReceiveCount"]
        shown = shown if isinstance(shown, str) else json.dumps(shown)
        raise invalid_redrive_policy(
            text,
            f"Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both inclusive.",
        )
    arn = document["deadLetterTargetArn"]
    match = _ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        raise invalid_redrive_policy(text, "Invalid value for deadLetterTargetArn.")
    if match.group(2) != "sqs":
        raise invalid_redrive_policy(text, "Only SQS queues are valid resources for deadLetterTargetArn.")
    if len(document) > 2:
        raise invalid_redrive_policy(
            text, "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."
        )
    return RedrivePolicy(arn, count)


def _receive_count(value: Any) -> int | None:
    if isinstance(value, str):
        value = _integer(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000:
        return value
    return None


def parse_redrive_allow_policy(text: str) -> RedriveAllowPolicy:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    unsupported = _invalid_parameter(_ALLOW_POLICY_FORMAT)
    if not isinstance(document, dict) or not document.keys() <= {"redrivePermission", "sourceQueueArns"}:
        raise unsupported
    permission = document.get("redrivePermission")
    if permission not in REDRIVE_PERMISSIONS:
        raise unsupported
    arns = document.get("sourceQueueArns")
    if arns is not None and (not isinstance(arns, list) or not all(isinstance(a, str) for a in arns)):
        raise unsupported

    def refuse(reason: str) -> AwsError:
        return _invalid_policy_value(
            "RedriveAllowPolicy", text, f"Amazon SQS can't create the redrive allow policy. {reason}"
        )

    if arns is not None and permission != "byQueue":
        raise refuse("To specify one or more source queue ARNs, you must set redrivePermission to byQueue.")
    if permission == "byQueue" and not arns:
        raise refuse(
            "When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values."
        )
    if arns is not None and len(arns) > MAX_SOURCE_QUEUE_ARNS:
        raise refuse("The maximum number of source queue ARNs you can specify is 10.")
    if arns is not None and not all(_ARN.fullmatch(a) for a in arns):
        raise unsupported
    return RedriveAllowPolicy(permission, tuple(arns or ()))


def redrive_allowed(allow: RedriveAllowPolicy | None, source_arn: str, dlq_arn: str) -> bool:
    """May the queue `source_arn` use `dlq_arn` (whose allow policy is `allow`) as its DLQ?

    No policy means allowAll: any queue of the same account and region.
    """
    if allow is None or allow.permission == "allowAll":
        source, dlq = _ARN.fullmatch(source_arn), _ARN.fullmatch(dlq_arn)
        # partition, region and account
        return source is not None and dlq is not None and source.group(1, 3, 4) == dlq.group(1, 3, 4)
    if allow.permission == "byQueue":
        return source_arn in allow.source_queue_arns
    return False


# -- tags ---------------------------------------------------------------------------------------


def check_tags(tags: Mapping[str, str], queue_name: str = "") -> None:
    """Queue tag limits: pass the tag map the queue would have (existing merged with new ones)."""
    if len(tags) > MAX_TAGS:
        where = f"queue {queue_name}" if queue_name else "queue"
        raise _invalid_parameter(f"Too many tags added for {where}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise _invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
        if len(value) > 256:
            raise _invalid_parameter("Tag values must be between 0 and 256 characters in length.")
