"""AWS Query codec: round trips through botocore's own Query serializer and parser, for every SQS operation.

Two models are exercised. ``json_traits`` is botocore's current SQS model as is (its ``flattened``
traits survived the switch to JSON, its locationNames did not), plus the ``resultWrapper`` the
Query parser needs: the codec must follow whatever traits a model has. ``query`` is
`models.query_model("sqs")`, the JSON-era model with the Query-era wire names put back by
``overlays/sqs.json`` (``Attribute.N.Name``, ``MessageAttribute.N.Value.StringValue``,
``SendMessageBatchRequestEntry.N``...), the wire that Query clients actually send; the hand-written
wire tests below and tests/protocol/test_query_compat.py pin that layout independently of botocore.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import pytest
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.protocol import query_codec
from headwater.protocol.errors import AwsError
from headwater.protocol.models import query_model, service_model

SQS = service_model("sqs")
TRICKY = "a\"b&c<d>e\rf\ng'h é"  # every character SQS escapes, plus a raw \n and non-ASCII


def _json_traits() -> ServiceModel:
    spec = copy.deepcopy(SQS._service_description)
    spec["metadata"] = {**spec["metadata"], "protocol": "query", "protocols": ["query"]}
    for name, op in spec["operations"].items():
        if "output" in op:
            op["output"] = {**op["output"], "resultWrapper": f"{name}Result"}
    return ServiceModel(spec, service_name="sqs")


MODELS = {"json_traits": _json_traits(), "query": query_model("sqs")}
CASES = [(m, op) for m in MODELS for op in SQS.operation_names]


# --- sample values from the model ----------------------------------------------------------------


def sample(shape: Shape, depth: int = 0, salt: int = 0) -> Any:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        return {n: sample(m, depth + 1, salt) for n, m in shape.members.items() if depth < 6}
    if kind == "list":
        return [sample(shape.member, depth + 1, i) for i in range(2)]
    if kind == "map":
        enum = shape.key.metadata.get("enum")
        keys = enum[:2] if enum else [f"key{i}" for i in range(2)]
        return {k: sample(shape.value, depth + 1, i) for i, k in enumerate(keys)}
    if kind == "string":
        enum = meta.get("enum")
        if enum:
            return enum[salt % len(enum)]
        text = f"{TRICKY}{salt}"
        return text[: meta.get("max", len(text))].ljust(meta.get("min", 0), "x")
    if kind in ("integer", "long"):
        return max(meta.get("min", 0), min(meta.get("max", 1 << 40), 7 + salt))
    if kind == "boolean":
        return salt % 2 == 0
    if kind == "blob":
        return bytes([0, 255, 10, 13, salt])
    raise AssertionError(f"no sample for {kind}")


def _form(body: dict[str, Any]) -> dict[str, str]:
    """botocore's body dict as the strings a decoded form body holds."""
    return {k: v if isinstance(v, str) else str(v) for k, v in body.items()}


def _botocore_parse(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    response = {"status_code": status, "headers": {}, "body": body}
    return create_parser("query").parse(response, op.output_shape if status == 200 else None)


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "operation"), CASES)
def test_request_round_trip(model: str, operation: str) -> None:
    op = MODELS[model].operation_model(operation)
    params = sample(op.input_shape)
    if model == "query" and operation == "ReceiveMessage":
        # both lists are AttributeName.N on the Query wire: see test_receive_attribute_names
        del params["MessageSystemAttributeNames"]
    body = create_serializer("query").serialize_to_request(params, op)["body"]
    assert body["Action"] == operation
    assert query_codec.parse_request(op, _form(body)) == params


@pytest.mark.parametrize(("model", "operation"), CASES)
def test_response_round_trip(model: str, operation: str) -> None:
    op = MODELS[model].operation_model(operation)
    result = sample(op.output_shape) if op.output_shape is not None else {}
    body = query_codec.serialize_response(op, result, "req-1")
    parsed = _botocore_parse(op, body)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == result


def test_every_sqs_operation_is_covered() -> None:
    assert len(SQS.operation_names) == 23
    outputs = [n for n in SQS.operation_names if SQS.operation_model(n).output_shape is not None]
    assert "ReceiveMessage" in outputs and "SendMessageBatch" in outputs


# --- the Query-era wire, written by hand -------------------------------------------------------


def test_query_era_wire_send_message() -> None:
    op = MODELS["query"].operation_model("SendMessage")
    fields = {
        "Action": "SendMessage",
        "Version": "2012-11-05",
        "QueueUrl": "http://localhost:4566/000000000000/q",
        "MessageBody": "hi",
        "DelaySeconds": "5",
        "MessageAttribute.1.Name": "color",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "blue",
        "MessageAttribute.2.Name": "raw",
        "MessageAttribute.2.Value.DataType": "Binary",
        "MessageAttribute.2.Value.BinaryValue": "AAE=",
        "MessageSystemAttribute.1.Name": "AWSTraceHeader",
        "MessageSystemAttribute.1.Value.DataType": "String",
        "MessageSystemAttribute.1.Value.StringValue": "Root=1",
    }
    assert query_codec.parse_request(op, fields) == {
        "QueueUrl": "http://localhost:4566/000000000000/q",
        "MessageBody": "hi",
        "DelaySeconds": 5,
        "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "blue"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
        "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
    }


def test_query_era_wire_lists_maps_and_index_order() -> None:
    model = MODELS["query"]
    fields = {
        "QueueName": "q",
        "Attribute.2.Name": "VisibilityTimeout",
        "Attribute.2.Value": "60",
        "Attribute.1.Name": "DelaySeconds",
        "Attribute.1.Value": "0",
        "Tag.1.Key": "team",
        "Tag.1.Value": "data",
    }
    parsed = query_codec.parse_request(model.operation_model("CreateQueue"), fields)
    assert parsed == {
        "QueueName": "q",
        "Attributes": {"DelaySeconds": "0", "VisibilityTimeout": "60"},
        "tags": {"team": "data"},
    }
    assert list(parsed["Attributes"]) == ["DelaySeconds", "VisibilityTimeout"]
    names = {
        "QueueUrl": "u",
        "AttributeName.10": "Policy",
        "AttributeName.2": "All",
        "AttributeName.1": "Arn",
    }
    parsed = query_codec.parse_request(model.operation_model("GetQueueAttributes"), names)
    assert parsed["AttributeNames"] == ["Arn", "All", "Policy"]
    batch = {"QueueUrl": "u", "DeleteMessageBatchRequestEntry.1.Id": "a"}
    batch["DeleteMessageBatchRequestEntry.1.ReceiptHandle"] = "r"
    parsed = query_codec.parse_request(model.operation_model("DeleteMessageBatch"), batch)
    assert parsed["Entries"] == [{"Id": "a", "ReceiptHandle": "r"}]


def test_receive_attribute_names() -> None:
    """AttributeNames and MessageSystemAttributeNames share ``AttributeName.N`` (AWS's Smithy model);
    the Query-era member receives them, and AWS's documented bare ``AttributeName=All`` is one name."""
    op = MODELS["query"].operation_model("ReceiveMessage")
    for member in ("AttributeNames", "MessageSystemAttributeNames"):
        body = create_serializer("query").serialize_to_request(
            {"QueueUrl": "u", member: ["All", "SenderId"]}, op
        )
        assert body["body"]["AttributeName.2"] == "SenderId"
        assert query_codec.parse_request(op, _form(body["body"])) == {
            "QueueUrl": "u",
            "AttributeNames": ["All", "SenderId"],
        }
    assert query_codec.parse_request(op, {"AttributeName": "All"})["AttributeNames"] == ["All"]
    assert query_codec.parse_request(op, {"AttributeName": ""})["AttributeNames"] == []
    empty = create_serializer("query").serialize_to_request({"QueueUrl": "u", "AttributeNames": []}, op)
    assert query_codec.parse_request(op, _form(empty["body"]))["AttributeNames"] == []
    batch = MODELS["query"].operation_model("SendMessageBatch")
    assert query_codec.parse_request(batch, {"SendMessageBatchRequestEntry": "x"}) == {"Entries": []}


def test_query_era_response_layout() -> None:
    op = MODELS["query"].operation_model("ReceiveMessage")
    result = {"Messages": [{"MessageId": "m", "Body": "x", "Attributes": {"SenderId": "s"}}]}
    body = query_codec.serialize_response(op, result, "r").decode()
    assert body.startswith(
        '<?xml version="1.0"?><ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
    )
    assert (
        "<ReceiveMessageResult><Message><MessageId>m</MessageId><Body>x</Body>"
        "<Attribute><Name>SenderId</Name><Value>s</Value></Attribute></Message></ReceiveMessageResult>"
    ) in body
    assert body.endswith(
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ReceiveMessageResponse>"
    )


def test_operation_without_output_has_no_result_element() -> None:
    op = MODELS["query"].operation_model("DeleteQueue")
    body = query_codec.serialize_response(op, {}, "r").decode()
    assert "Result" not in body and "<RequestId>r</RequestId>" in body


def test_model_namespace_wins() -> None:
    spec = copy.deepcopy(SQS._service_description)
    spec["metadata"] = {**spec["metadata"], "xmlNamespace": "urn:x", "endpointPrefix": "other"}
    op = ServiceModel(spec, service_name="other").operation_model("DeleteQueue")
    assert b'<DeleteQueueResponse xmlns="urn:x">' in query_codec.serialize_response(op, {}, "r")
    spec["metadata"].pop("xmlNamespace")
    op = ServiceModel(spec, service_name="other").operation_model("DeleteQueue")
    assert b"<DeleteQueueResponse>" in query_codec.serialize_response(op, {}, "r")


# --- escaping -----------------------------------------------------------------------------------


def test_sqs_escaping_of_quote_and_carriage_return() -> None:
    op = MODELS["query"].operation_model("ReceiveMessage")
    body = query_codec.serialize_response(op, {"Messages": [{"Body": 'say "hi"\r\n<&>'}]}, "r")
    assert b"<Body>say &quot;hi&quot;&#xD;\n&lt;&amp;&gt;</Body>" in body
    assert _botocore_parse(op, body)["Messages"][0]["Body"] == 'say "hi"\r\n<&>'


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sender_fault", [True, False])
def test_error_body_parses_with_botocore(sender_fault: bool) -> None:
    message = 'Value "x" for parameter <A> is invalid & \r odd'
    body = query_codec.serialize_error(
        "AWS.SimpleQueueService.NonExistentQueue", message, "rid", sender_fault
    )
    parsed = _botocore_parse(SQS.operation_model("GetQueueUrl"), body, status=400)
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["Message"] == message
    assert parsed["Error"]["Type"] == ("Sender" if sender_fault else "Receiver")
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"
    assert b"<Detail/>" in body


def test_error_namespace_is_optional() -> None:
    body = query_codec.serialize_error("X", "m", "r", xmlns="http://queue.amazonaws.com/doc/2012-11-05/")
    assert b'<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error>' in body
    assert b"<ErrorResponse><Error><Type>Sender</Type>" in query_codec.serialize_error("X", "m", "r")


# --- malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "fields", "path"),
    [
        ("ReceiveMessage", {"QueueUrl": "u", "MaxNumberOfMessages": "ten"}, "MaxNumberOfMessages"),
        ("ReceiveMessage", {"QueueUrl": "u", "WaitTimeSeconds": "99999999999"}, "WaitTimeSeconds"),
        ("ReceiveMessage", {"QueueUrl": "u", "WaitTimeSeconds": "1.5"}, "WaitTimeSeconds"),
        (
            "StartMessageMoveTask",
            {"SourceArn": "a", "MaxNumberOfMessagesPerSecond": ""},
            "MaxNumberOfMessagesPerSecond",
        ),
        ("SendMessage", {"QueueUrl.x": "u"}, "QueueUrl"),
        (
            "SendMessage",
            {"MessageAttribute.1.Name": "a", "MessageAttribute.1.Value.BinaryValue": "!!"},
            "BinaryValue",
        ),
        ("SendMessage", {"MessageAttribute.0.Name": "a"}, "MessageAttribute.0"),
        ("SendMessage", {"MessageAttribute.one.Name": "a"}, "MessageAttribute.one"),
        ("SendMessage", {"MessageAttribute.1.Value.DataType": "String"}, "MessageAttribute.1.Name"),
        ("GetQueueAttributes", {"AttributeName.01": "All"}, "AttributeName.01"),
    ],
)
def test_malformed_values_are_invalid_parameter_value(
    operation: str, fields: dict[str, str], path: str
) -> None:
    op = MODELS["query"].operation_model(operation)
    with pytest.raises(AwsError) as caught:
        query_codec.parse_request(op, fields)
    assert caught.value.code == "InvalidParameterValue"
    assert caught.value.status == 400
    assert path in caught.value.message


def test_booleans_and_unknown_fields() -> None:
    op = MODELS["query"].operation_model("ListQueues")
    assert query_codec.parse_request(op, {"MaxResults": "3", "Bogus.1": "x", "Action": "ListQueues"}) == {
        "MaxResults": 3
    }
    model = copy.deepcopy(SQS._service_description)
    model["shapes"]["ListQueuesRequest"]["members"]["Flag"] = {"shape": "Boolean"}
    op = ServiceModel(model, service_name="sqs").operation_model("ListQueues")
    assert query_codec.parse_request(op, {"Flag": "TRUE"}) == {"Flag": True}
    with pytest.raises(AwsError):
        query_codec.parse_request(op, {"Flag": "yes"})


def test_random_fields_never_raise_anything_but_aws_errors() -> None:
    rng = random.Random(7)
    parts = [
        "MessageAttribute",
        "Attribute",
        "1",
        "2",
        "0",
        "Name",
        "Value",
        "StringValue",
        "BinaryValue",
        "",
    ]
    parts += ["DataType", "QueueUrl", "DelaySeconds", "SendMessageBatchRequestEntry", "Id", "StringListValue"]
    values = ["", "1", "x", "AAE=", "true", "-5", "1e9"]
    for _ in range(3000):
        operation = rng.choice(["SendMessage", "SendMessageBatch", "CreateQueue", "ReceiveMessage"])
        op = MODELS[rng.choice(list(MODELS))].operation_model(operation)
        fields = {
            ".".join(rng.choice(parts) for _ in range(rng.randint(1, 5))): rng.choice(values)
            for _ in range(rng.randint(1, 6))
        }
        try:
            query_codec.parse_request(op, fields)
        except AwsError as error:
            assert error.code == "InvalidParameterValue"


# --- traits SQS does not use: wrapped lists and maps, doubles, timestamps --------------------------

_SYNTHETIC = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "protocol": "query",
        "xmlNamespace": "urn:t",
        "endpointPrefix": "t",
    },
    "operations": {
        "Op": {
            "name": "Op",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Thing"},
            "output": {"shape": "Thing", "resultWrapper": "OpResult"},
        }
    },
    "shapes": {
        "Thing": {
            "type": "structure",
            "members": {
                "Names": {"shape": "Names"},
                "Named": {"shape": "Names", "locationName": "Renamed"},
                "Pairs": {"shape": "Pairs"},
                "When": {"shape": "When"},
                "Ratio": {"shape": "Ratio"},
                "Big": {"shape": "Big"},
                "Child": {"shape": "Thing"},
            },
        },
        "Names": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
        "Pairs": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Names"}},
        "Str": {"type": "string"},
        "When": {"type": "timestamp"},
        "Ratio": {"type": "double"},
        "Big": {"type": "long"},
    },
}


def test_wrapped_lists_maps_and_other_scalars_round_trip() -> None:
    op = ServiceModel(_SYNTHETIC, service_name="t").operation_model("Op")
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)
    leaf = {"Names": ["a", TRICKY], "Named": [], "Pairs": {"k": ["v"], "e": []}, "When": when, "Ratio": 0.25}
    value = {**leaf, "Big": -(1 << 63), "Child": leaf}
    body = create_serializer("query").serialize_to_request(value, op)["body"]
    assert body["Names.item.2"] == TRICKY and body["Pairs.entry.1.key"] == "k" and body["Renamed"] == ""
    parsed = query_codec.parse_request(op, _form(body))
    assert parsed["When"] == parsed["Child"]["When"] == when.timestamp()
    assert {**parsed, "When": when, "Child": {**parsed["Child"], "When": when}} == value
    xml = query_codec.serialize_response(op, value, "r")
    assert b'<OpResponse xmlns="urn:t"><OpResult><Names><item>a</item>' in xml
    back = _botocore_parse(op, xml)
    back.pop("ResponseMetadata")
    assert back == value  # empty wrapped lists and map values included
    with pytest.raises(AwsError):
        query_codec.parse_request(op, {"Big": str(1 << 63)})
    with pytest.raises(AwsError):
        query_codec.parse_request(op, {"When": "yesterday"})
    with pytest.raises(AwsError):
        query_codec.parse_request(op, {"Ratio": "NaN"})
