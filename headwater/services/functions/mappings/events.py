"""The events a mapping sends, byte for byte the shapes Lambda sends (key order included), and the
failure record it sends to an OnFailure destination."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from headwater.services.ports import QueueMessage, StreamRecord

SQS_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
)


def kinesis_record(
    record: StreamRecord, shard_id: str, stream_arn: str, region: str, role: str
) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": record.sequence_number,
            "data": base64.b64encode(record.data).decode(),
            "approximateArrivalTimestamp": record.arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def sqs_record(message: QueueMessage, queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {
        name: message.attributes[name] for name in SQS_ATTRIBUTE_ORDER if name in message.attributes
    }
    out: dict[str, Any] = {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.message_attributes.items()
        },
    }
    if message.md5_of_message_attributes:
        out["md5OfMessageAttributes"] = message.md5_of_message_attributes
    out["md5OfBody"] = message.md5_of_body
    out["eventSource"] = "aws:sqs"
    out["eventSourceARN"] = queue_arn
    out["awsRegion"] = region
    return out


def _message_attribute(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.get("StringValue") is not None:
        out["stringValue"] = value["StringValue"]
    if value.get("BinaryValue") is not None:
        binary = value["BinaryValue"]
        out["binaryValue"] = base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary
    out["stringListValues"] = list(value.get("StringListValues") or [])
    out["binaryListValues"] = list(value.get("BinaryListValues") or [])
    out["dataType"] = value.get("DataType", "String")
    return out


def iso(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(seconds * 1000) % 1000:03d}Z"
    )


def kinesis_failure(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invokes: int,
    error_type: str | None,
    now: float,
    shard_id: str,
    stream_arn: str,
    records: Sequence[StreamRecord],
) -> str:
    """AWS's invocation record for a Kinesis batch that was given up on."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if error_type is not None:
        response["functionError"] = "Unhandled"
    document = {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso(now),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": iso(records[0].arrival),
            "approximateArrivalOfLastRecord": iso(records[-1].arrival),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
    return json.dumps(document)


PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's request payload, as Lambda caps it


def encoded(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


class KinesisEncoder:
    """A shard's event records as JSON text, the bytes `encoded(kinesis_record(...))` gives, built
    from a template (the hot path of a mapping: no dict and no generic encoder per record)."""

    def __init__(self, shard_id: str, stream_arn: str, region: str, role: str) -> None:
        self._head = '{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":'
        self._id = (
            ',"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":' + json.dumps(f"{shard_id}:")[:-1]
        )
        self._tail = (
            '","eventName":"aws:kinesis:record","invokeIdentityArn":'
            + json.dumps(role)
            + ',"awsRegion":'
            + json.dumps(region)
            + ',"eventSourceARN":'
            + json.dumps(stream_arn)
            + "}"
        )

    def encode(self, record: StreamRecord) -> str:
        number = record.sequence_number
        return "".join(
            (
                self._head,
                json.dumps(record.partition_key),
                ',"sequenceNumber":"',
                number,
                '","data":"',
                base64.b64encode(record.data).decode(),
                '","approximateArrivalTimestamp":',
                float.__repr__(record.arrival),
                "}",
                self._id,
                number,
                self._tail,
            )
        )


def payload(parts: Sequence[str], extra: dict[str, Any] | None = None) -> bytes:
    """The event: {"Records": [the encoded records], then `extra`'s members}."""
    records = '{"Records":[' + ",".join(parts) + "]"
    if not extra:
        return (records + "}").encode()
    return (records + "," + json.dumps(extra, separators=(",", ":"))[1:]).encode()


def fitting(parts: Sequence[str], overhead: int = 0) -> int:
    """How many of the encoded records, from the first, fit in one event under the payload limit
    (at least one: a single record never exceeds it, Kinesis and SQS cap theirs far below)."""
    size = len('{"Records":[]}') + overhead
    for count, part in enumerate(parts):
        size += len(part) + (1 if count else 0)  # ASCII: characters are bytes
        if size > PAYLOAD_LIMIT:
            return max(1, count)
    return len(parts)
