"""The CloudWatchLogProcessing processor with `DataMessageExtraction=true`: a decompressed
CloudWatch Logs subscription record is a JSON document
`{"messageType": "DATA_MESSAGE"|"CONTROL_MESSAGE", "owner", "logGroup", "logStream",
"subscriptionFilters", "logEvents": [{"id", "timestamp", "message"}]}`. Extraction drops the
envelope and gives one record per log event holding just its `message` (UTF-8) and a new line:
AWS's Message_extraction page shows the extracted messages one per line, where records are
otherwise concatenated with nothing between. CONTROL_MESSAGEs (CloudWatch Logs' reachability
checks) are dropped. With `DataMessageExtraction=false` records pass unchanged.

A record that is not such a document goes to the error output (`processing-failed`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from headwater.services.firehose.processing import param, sub_record_id
from headwater.services.firehose.records import Failure, Processed, Record

ERROR_OUTPUT_TYPE = "processing-failed"


def _messages(document: Any) -> list[str] | None:
    """The DATA_MESSAGE's messages, [] for a CONTROL_MESSAGE; raises ValueError when malformed."""
    if not isinstance(document, dict):
        raise ValueError("not a CloudWatch Logs subscription document")
    kind = document.get("messageType")
    if kind == "CONTROL_MESSAGE":
        return None
    events = document.get("logEvents")
    if kind != "DATA_MESSAGE" or not isinstance(events, list):
        raise ValueError("not a CloudWatch Logs DATA_MESSAGE")
    messages = []
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("message"), str):
            raise ValueError("log event without a message")
        messages.append(event["message"])
    return messages


def process(records: list[Record], params: Mapping[str, str]) -> Processed:
    if (param(params, "DataMessageExtraction", "false") or "").lower() != "true":
        return Processed(records=list(records))
    out = Processed(records=[])
    for record in records:
        try:
            messages = _messages(json.loads(record.data))
        except (ValueError, UnicodeDecodeError) as exc:
            out.failures.append(
                Failure(
                    record,
                    ERROR_OUTPUT_TYPE,
                    "CloudWatchLogs.InvalidRecord",
                    f"Could not extract messages: {exc}",
                )
            )
            continue
        for i, message in enumerate(messages or ()):
            out.records.append(
                Record(
                    sub_record_id(record.record_id, i),
                    message.encode() + b"\n",
                    record.arrival_ms,
                    record.kinesis,
                    record.partition_keys,
                )
            )
    return out


async def apply(records: list[Record], params: Mapping[str, str]) -> Processed:
    return process(records, params)
