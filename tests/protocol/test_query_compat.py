"""The SQS Query overlay (overlays/sqs.json): the Query-era wire it produces, pinned by hand against
botocore's last Query-era SQS model and AWS's documented examples, and its error table."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.protocol import query_codec, query_compat
from headwater.protocol.models import query_model, service_model
from tests.protocol.test_query_codec import sample

SQS = service_model("sqs")
QUERY = query_model("sqs")
OVERLAY = query_compat.overlay("sqs")
assert OVERLAY is not None

# Request fields per operation (indexes as N), from the Query-era model's locationNames and
# flattened traits (botocore@79c92132 sqs/2012-11-05/service-2.json) and AWS's Smithy model.
REQUEST_FIELDS = {
    "AddPermission": "AWSAccountId.N ActionName.N Label QueueUrl",
    "CancelMessageMoveTask": "TaskHandle",
    "ChangeMessageVisibility": "QueueUrl ReceiptHandle VisibilityTimeout",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibilityBatchRequestEntry.N.Id "
    "ChangeMessageVisibilityBatchRequestEntry.N.ReceiptHandle "
    "ChangeMessageVisibilityBatchRequestEntry.N.VisibilityTimeout QueueUrl",
    "CreateQueue": "Attribute.N.Name Attribute.N.Value QueueName Tag.N.Key Tag.N.Value",
    "DeleteMessage": "QueueUrl ReceiptHandle",
    "DeleteMessageBatch": "DeleteMessageBatchRequestEntry.N.Id DeleteMessageBatchRequestEntry.N.ReceiptHandle "
    "QueueUrl",
    "DeleteQueue": "QueueUrl",
    "GetQueueAttributes": "AttributeName.N QueueUrl",
    "GetQueueUrl": "QueueName QueueOwnerAWSAccountId",
    "ListDeadLetterSourceQueues": "MaxResults NextToken QueueUrl",
    "ListMessageMoveTasks": "MaxResults SourceArn",
    "ListQueueTags": "QueueUrl",
    "ListQueues": "MaxResults NextToken QueueNamePrefix",
    "PurgeQueue": "QueueUrl",
    "ReceiveMessage": "AttributeName.N MaxNumberOfMessages MessageAttributeName.N QueueUrl "
    "ReceiveRequestAttemptId VisibilityTimeout WaitTimeSeconds",
    "RemovePermission": "Label QueueUrl",
    "SendMessage": "DelaySeconds {a} MessageBody MessageDeduplicationId MessageGroupId {s} QueueUrl",
    "SendMessageBatch": "QueueUrl SendMessageBatchRequestEntry.N.DelaySeconds SendMessageBatchRequestEntry.N.Id "
    "SendMessageBatchRequestEntry.N.MessageBody SendMessageBatchRequestEntry.N.MessageDeduplicationId "
    "SendMessageBatchRequestEntry.N.MessageGroupId {ba} {bs}",
    "SetQueueAttributes": "Attribute.N.Name Attribute.N.Value QueueUrl",
    "StartMessageMoveTask": "DestinationArn MaxNumberOfMessagesPerSecond SourceArn",
    "TagQueue": "QueueUrl Tag.N.Key Tag.N.Value",
    "UntagQueue": "QueueUrl TagKey.N",
}
_VALUE = "{p}.N.Name {p}.N.Value.BinaryListValue.N {p}.N.Value.BinaryValue {p}.N.Value.DataType "
_VALUE += "{p}.N.Value.StringListValue.N {p}.N.Value.StringValue"
_ATTRIBUTES = {
    "a": _VALUE.format(p="MessageAttribute"),
    "s": _VALUE.format(p="MessageSystemAttribute"),
    "ba": _VALUE.format(p="SendMessageBatchRequestEntry.N.MessageAttribute"),
    "bs": _VALUE.format(p="SendMessageBatchRequestEntry.N.MessageSystemAttribute"),
}

# Element paths under <OpResult> (the documented responses: ReceiveMessage's <Message><Attribute>...,
# ListQueues' repeated <QueueUrl>, ListDeadLetterSourceQueues' queueUrls as <QueueUrl> too).
_ERRORS = "BatchResultErrorEntry/Code BatchResultErrorEntry/Id BatchResultErrorEntry/Message "
_ERRORS += "BatchResultErrorEntry/SenderFault"


def _under(parent: str, names: str) -> str:
    return " ".join(f"{parent}/{name}" for name in names.split())


RESPONSE_ELEMENTS = {
    "CancelMessageMoveTask": "ApproximateNumberOfMessagesMoved",
    "ChangeMessageVisibilityBatch": f"{_ERRORS} ChangeMessageVisibilityBatchResultEntry/Id",
    "CreateQueue": "QueueUrl",
    "DeleteMessageBatch": f"{_ERRORS} DeleteMessageBatchResultEntry/Id",
    "GetQueueAttributes": "Attribute/Name Attribute/Value",
    "GetQueueUrl": "QueueUrl",
    "ListDeadLetterSourceQueues": "NextToken QueueUrl",
    "ListMessageMoveTasks": _under(
        "ListMessageMoveTasksResultEntry",
        "ApproximateNumberOfMessagesMoved ApproximateNumberOfMessagesToMove DestinationArn FailureReason "
        "MaxNumberOfMessagesPerSecond SourceArn StartedTimestamp Status TaskHandle",
    ),
    "ListQueueTags": "Tag/Key Tag/Value",
    "ListQueues": "NextToken QueueUrl",
    "ReceiveMessage": "Message/Attribute/Name Message/Attribute/Value Message/Body Message/MD5OfBody "
    "Message/MD5OfMessageAttributes Message/MessageAttribute/Name Message/MessageId Message/ReceiptHandle "
    + _under(
        "Message/MessageAttribute/Value", "BinaryListValue BinaryValue DataType StringListValue StringValue"
    ),
    "SendMessage": "MD5OfMessageAttributes MD5OfMessageBody MD5OfMessageSystemAttributes MessageId SequenceNumber",
    "SendMessageBatch": f"{_ERRORS} "
    + _under(
        "SendMessageBatchResultEntry",
        "Id MD5OfMessageAttributes MD5OfMessageBody MD5OfMessageSystemAttributes MessageId SequenceNumber",
    ),
    "StartMessageMoveTask": "TaskHandle",
}


@pytest.mark.parametrize("operation", SQS.operation_names)
def test_request_fields_are_the_query_era_ones(operation: str) -> None:
    op = QUERY.operation_model(operation)
    body = create_serializer("query").serialize_to_request(sample(op.input_shape), op)["body"]
    fields = {re.sub(r"\.\d+(?=\.|$)", ".N", key) for key in body} - {"Action", "Version"}
    assert sorted(fields) == sorted(REQUEST_FIELDS[operation].format(**_ATTRIBUTES).split())


def _paths(element: ET.Element, prefix: str = "") -> set[str]:
    tag = element.tag.rpartition("}")[2]
    children = list(element)
    if not children:
        return {prefix + tag}
    return set().union(*(_paths(child, f"{prefix}{tag}/") for child in children))


@pytest.mark.parametrize("operation", SQS.operation_names)
def test_response_elements_are_the_query_era_ones(operation: str) -> None:
    op = QUERY.operation_model(operation)
    result = sample(op.output_shape) if op.output_shape is not None else {}
    root = ET.fromstring(query_codec.serialize_response(op, result, "rid"))
    assert root.tag == f"{{http://queue.amazonaws.com/doc/2012-11-05/}}{operation}Response"
    children = [child.tag.rpartition("}")[2] for child in root]
    if op.output_shape is None:
        assert children == ["ResponseMetadata"]
        assert operation not in RESPONSE_ELEMENTS
        return
    assert children == [f"{operation}Result", "ResponseMetadata"]
    paths = set().union(*(_paths(child) for child in root[0]))
    assert sorted(paths) == sorted(RESPONSE_ELEMENTS[operation].split())


# The API reference's Query example (ReceiveMessage, "Using AWS query protocol"), receipt handle cut.
AWS_RECEIVE = b"""<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
    <ReceiveMessageResult>
        <Message>
            <MessageId>60e827c3-c8a5-410a-af0e-fb43746e70b1</MessageId>
            <ReceiptHandle>AQEBwPTK2fT2gy97H1iyU5in9umgT+Y4IOxyKGOzpZa8iem</ReceiptHandle>
            <MD5OfBody>0e024d309850c78cba5eabbeff7cae71</MD5OfBody>
            <Body>test message body 1</Body>
            <Attribute>
                <Name>SenderId</Name>
                <Value>AIDASSYFHUBOBT7F4XT75</Value>
            </Attribute>
            <Attribute>
                <Name>ApproximateFirstReceiveTimestamp</Name>
                <Value>1677112300463</Value>
            </Attribute>
        </Message>
    </ReceiveMessageResult>
    <ResponseMetadata>
        <RequestId>5ba605cc-1e4b-58ba-93db-59bca8677ec9</RequestId>
    </ResponseMetadata>
</ReceiveMessageResponse>"""


def _parse(operation: str, body: bytes) -> dict[str, Any]:
    op = QUERY.operation_model(operation)
    return create_parser("query").parse({"status_code": 200, "headers": {}, "body": body}, op.output_shape)


def test_aws_documented_receive_message_response() -> None:
    documented = _parse("ReceiveMessage", AWS_RECEIVE)
    assert documented["Messages"][0]["Attributes"] == {
        "SenderId": "AIDASSYFHUBOBT7F4XT75",
        "ApproximateFirstReceiveTimestamp": "1677112300463",
    }
    result = {k: v for k, v in documented.items() if k != "ResponseMetadata"}
    ours = query_codec.serialize_response(
        QUERY.operation_model("ReceiveMessage"), result, "5ba605cc-1e4b-58ba-93db-59bca8677ec9"
    )
    assert ours == b'<?xml version="1.0"?>' + re.sub(rb">\s+<", b"><", AWS_RECEIVE)


def test_aws_documented_query_request_fields() -> None:
    """The API reference's Query request: the queue URL in the path, a bare AttributeName."""
    op = QUERY.operation_model("ReceiveMessage")
    fields = query_codec.decode_fields(
        b"", b"Action=ReceiveMessage&MaxNumberOfMessages=5&VisibilityTimeout=15&AttributeName=All"
    )
    assert query_codec.parse_request(op, fields) == {
        "MaxNumberOfMessages": 5,
        "VisibilityTimeout": 15,
        "AttributeNames": ["All"],
    }


# --- the overlay itself ------------------------------------------------------------------------


def test_every_list_and_map_of_the_model_has_query_traits() -> None:
    """A botocore upgrade that adds a list or map must add it to the overlay, or the wire would
    silently fall back to ``member.N`` / ``entry.N``."""
    shapes = SQS._service_description["shapes"]
    lists = {name for name, shape in shapes.items() if shape["type"] == "list"}
    maps = {name for name, shape in shapes.items() if shape["type"] == "map"}
    assert lists == set(OVERLAY.query["lists"])
    assert maps == set(OVERLAY.query["maps"])
    for name, shape in shapes.items():
        for member_name, member in shape.get("members", {}).items():
            if shapes[member["shape"]]["type"] == "map":
                assert f"{name}.{member_name}" in OVERLAY.query["members"]


def test_overlay_errors_name_real_shapes() -> None:
    shapes = SQS._service_description["shapes"]
    modelled = {name for name, shape in shapes.items() if shape.get("exception")}
    assert modelled <= set(OVERLAY.errors)  # every modelled error renders in both dialects
    unmodelled = set(OVERLAY.errors) - modelled
    assert unmodelled == {
        "InvalidParameterValueException",
        "MissingRequiredParameterException",
        "AccessDeniedException",
        "InternalFailure",
        "InvalidAction",
        "MissingAction",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }


@pytest.mark.parametrize(
    ("name", "code", "status", "sender"),
    [
        ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400, True),
        ("QueueNameExists", "QueueAlreadyExists", 400, True),
        ("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403, True),
        ("OverLimit", "OverLimit", 403, True),
        ("ResourceNotFoundException", "ResourceNotFoundException", 404, True),
        ("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, True),
        ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400, True),
        ("InvalidParameterValueException", "InvalidParameterValue", 400, True),
        ("MissingRequiredParameterException", "MissingParameter", 400, True),
        ("AccessDeniedException", "AccessDenied", 403, True),
        ("InternalFailure", "InternalFailure", 500, False),
    ],
)
def test_error_table(name: str, code: str, status: int, sender: bool) -> None:
    spec = OVERLAY.error(name)
    assert spec is not None
    assert (spec.name, spec.query_code, spec.status, spec.sender_fault) == (name, code, status, sender)
    assert OVERLAY.error(code) == spec  # found by its Query code too
    assert spec.fault == ("Sender" if sender else "Receiver")


def test_query_message_override() -> None:
    spec = OVERLAY.error("QueueDoesNotExist")
    assert spec is not None
    assert spec.query_message == "The specified queue does not exist for this wsdl version."
    assert OVERLAY.error("NoSuchError") is None
    assert query_compat.overlay("kinesis") is None
    assert not query_compat.speaks_query("kinesis") and query_compat.speaks_query("sqs")


@pytest.mark.parametrize(
    ("section", "patch", "message"),
    [
        ("lists", {"NoSuchList": {"flattened": True, "member": "X"}}, "no list shape 'NoSuchList'"),
        ("lists", {"TagMap": {"flattened": True, "member": "X"}}, "no list shape 'TagMap'"),
        ("maps", {"StringList": {"flattened": True, "key": "K", "value": "V"}}, "no map shape"),
        ("members", {"CreateQueueRequest.Nope": "X"}, "CreateQueueRequest has no member 'Nope'"),
        ("members", {"Nope.Attributes": "X"}, "no structure shape 'Nope'"),
    ],
)
def test_overlay_naming_what_the_model_lacks_fails_loudly(
    section: str, patch: dict[str, Any], message: str
) -> None:
    query = copy.deepcopy(dict(OVERLAY.query))
    query[section] = {**query[section], **patch}
    with pytest.raises(ValueError, match=re.escape(message)):
        query_compat.apply(SQS._service_description, query)


def test_apply_does_not_touch_the_json_model() -> None:
    before = json.dumps(SQS._service_description, sort_keys=True)
    ServiceModel(query_compat.apply(SQS._service_description, OVERLAY.query), service_name="sqs")
    assert json.dumps(SQS._service_description, sort_keys=True) == before
    assert SQS.metadata["protocol"] == "json" and QUERY.metadata["protocol"] == "query"


def test_bad_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="Sender or Receiver"):
        query_compat._error_spec("X", {"code": "X", "status": 400, "fault": "Client"})


# --- request checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "json_name", "query_name"),
    [
        ("SendMessage", {"QueueUrl": "u"}, "MessageBody", "MessageBody"),
        ("SendMessage", {"MessageBody": "b"}, "QueueUrl", "QueueUrl"),
        ("SetQueueAttributes", {"QueueUrl": "u"}, "Attributes", "Attribute.Name"),
        ("TagQueue", {"QueueUrl": "u"}, "Tags", "Tag.Key"),
        ("UntagQueue", {"QueueUrl": "u"}, "TagKeys", "TagKey"),
        ("AddPermission", {"QueueUrl": "u", "Label": "l", "Actions": ["*"]}, "AWSAccountIds", "AWSAccountId"),
        ("SendMessageBatch", {"QueueUrl": "u"}, "Entries", "SendMessageBatchRequestEntry"),
        (
            "ChangeMessageVisibility",
            {"QueueUrl": "u", "ReceiptHandle": "r"},
            "VisibilityTimeout",
            "VisibilityTimeout",
        ),
    ],
)
def test_missing_member(operation: str, params: dict[str, Any], json_name: str, query_name: str) -> None:
    assert (
        query_compat.missing_member(SQS.operation_model(operation).input_shape, params, query=False)
        == json_name
    )
    shape = QUERY.operation_model(operation).input_shape
    assert query_compat.missing_member(shape, params, query=True) == query_name


def test_nothing_but_required_members_is_checked() -> None:
    shape = SQS.operation_model("SendMessageBatch").input_shape
    # nested required members (Id, MessageBody), enums and empty lists are the service's to judge
    assert query_compat.missing_member(shape, {"QueueUrl": "u", "Entries": [{}]}, query=False) is None
    assert query_compat.missing_member(shape, {"QueueUrl": "u", "Entries": []}, query=False) is None
    receive = SQS.operation_model("ReceiveMessage").input_shape
    assert (
        query_compat.missing_member(receive, {"QueueUrl": "u", "AttributeNames": ["Bogus"]}, query=False)
        is None
    )


@pytest.mark.parametrize(
    ("kinesis_style", "token_style"),
    [
        (
            "class java.lang.String can not be converted to an Integer",
            "STRING_VALUE can not be converted to an Integer",
        ),
        (
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
            "NUMBER_VALUE can not be converted to a String",
        ),
        (
            "class java.lang.Boolean can not be converted to an String",
            "class java.lang.Boolean can not be converted to an String",
        ),
        ("Start of list found where not expected", "Start of list found where not expected"),
        ("", ""),
    ],
)
def test_token_type_message(kinesis_style: str, token_style: str) -> None:
    assert query_compat.token_type_message(kinesis_style) == token_style
