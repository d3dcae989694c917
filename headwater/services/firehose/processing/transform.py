"""The Lambda processor: records out to a function and back, under Firehose's record-level contract.

Theory of operation
-------------------
The records handed to `apply` are cut into invocation batches: at most the processor's
BufferSizeInMBs of record data each (0.2-3 MB, default 1 MB), and never a request document over
Lambda's 6 MB synchronous limit. Each batch is one RequestResponse invocation through the
`FunctionCaller` port (the delivery stream's ARN as source), up to five outstanding at once as AWS
allows per shard. The function is invoked as the processor's RoleArn, else the destination's
RoleARN: Firehose assumes that role to call Lambda (firehose.amazonaws.com when neither is set).

An invocation that fails (refused or throttled by Lambda, the function raised or timed out) is
tried again, NumberOfRetries times (default 3); when every attempt fails, each record of the batch
becomes a `Failure` ("processing-failed") carrying the last error and the attempts made. A
response over 6 MB is Lambda's own error; the batch is halved and each half invoked on its own
until a single record is left, which then fails.

A response is matched to the request by recordId: each request record needs exactly one answer
whose result is Ok (its base64 `data` replaces the record's, `metadata.partitionKeys` become its
partition keys, `metadata.otfMetadata` an Iceberg destination's routing), Dropped (gone, a success) or ProcessingFailed (a failure). Missing, duplicated or
malformed answers fail the records they concern; answers for ids never sent are ignored. Failures
keep the record's original bytes: AWS's processing-failed documents carry the raw data.

BufferIntervalInSeconds is the delivery worker's business (it decides when records reach the
pipeline); `hints` reads both hints for it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from headwater.services.firehose.processing.context import StageContext
from headwater.services.firehose.records import Failure, Processed, Record
from headwater.services.ports import DeliveryError

OTF_PREFIX = "\0otf:"  # partition keys carrying metadata.otfMetadata (no jq key starts with NUL)

LIMIT = 6 * 1024 * 1024  # Lambda's synchronous request and response limit, bytes
PRINCIPAL = "firehose.amazonaws.com"
ERROR_TYPE = "processing-failed"
OUTSTANDING = 5  # invocations in flight at once per delivery stream
_ENVELOPE = 1024  # room for the request document's fields around its records


@dataclass(frozen=True, slots=True)
class LambdaParams:
    arn: str
    retries: int = 3
    buffer_bytes: int = 1024 * 1024
    interval_s: int = 60
    role_arn: str | None = None  # the processor's RoleArn (else the destination's)

    @classmethod
    def of(cls, params: Mapping[str, str]) -> LambdaParams:
        """The processor's parameters (validated by the control plane; defaults where absent)."""
        size = float(params.get("BufferSizeInMBs", "1"))
        return cls(
            arn=params["LambdaArn"],
            retries=int(params.get("NumberOfRetries", "3")),
            buffer_bytes=max(1, int(size * 1024 * 1024)),
            interval_s=int(params.get("BufferIntervalInSeconds", "60")),
            role_arn=params.get("RoleArn") or None,
        )


def hints(params: Mapping[str, str]) -> tuple[int, int]:
    """(buffer bytes, interval seconds) the worker should gather before calling the function."""
    parsed = LambdaParams.of(params)
    return parsed.buffer_bytes, parsed.interval_s


class _Attempt(Exception):
    """An invocation that did not produce a usable answer (retried)."""

    def __init__(self, code: str, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry = retry


class _TooLarge(Exception):
    """The response is over Lambda's 6 MB (the batch is split)."""


def request_entry(record: Record, record_id: str) -> bytes:
    entry: dict[str, Any] = {
        "recordId": record_id,
        "approximateArrivalTimestamp": record.arrival_ms,
        "data": base64.b64encode(record.data).decode(),
    }
    if record.kinesis is not None:
        k = record.kinesis
        entry["kinesisRecordMetadata"] = {
            "shardId": k.shard_id,
            "partitionKey": k.partition_key,
            "approximateArrivalTimestamp": k.approximate_arrival_ms,
            "sequenceNumber": k.sequence_number,
            "subsequenceNumber": k.subsequence_number,
        }
    return json.dumps(entry, separators=(",", ":")).encode()


def request_document(entries: Sequence[bytes], ctx: StageContext, invocation_id: str) -> bytes:
    head: dict[str, Any] = {"invocationId": invocation_id, "deliveryStreamArn": ctx.stream_arn}
    if ctx.source_stream_arn is not None:
        head["sourceKinesisStreamArn"] = ctx.source_stream_arn
    head["region"] = ctx.region
    text = json.dumps(head, separators=(",", ":")).encode()
    return text[:-1] + b',"records":[' + b",".join(entries) + b"]}"


def batches(records: Sequence[Record], buffer_bytes: int, limit: int = LIMIT) -> list[list[int]]:
    """Indexes of `records` per invocation: each at most `buffer_bytes` of data (one record at
    least) and a request document within `limit`."""
    out: list[list[int]] = []
    current: list[int] = []
    data = wire = 0
    for index, record in enumerate(records):
        size = len(record.data)
        encoded = 4 * ((size + 2) // 3) + 300  # base64 plus the entry's fields
        if current and (data + size > buffer_bytes or wire + encoded + _ENVELOPE > limit):
            out.append(current)
            current, data, wire = [], 0, 0
        current.append(index)
        data += size
        wire += encoded
    if current:
        out.append(current)
    return out


def unique_ids(records: Sequence[Record]) -> list[str]:
    """The recordIds sent: the records' own, made unique within the batch when they repeat."""
    seen: set[str] = set()
    ids = []
    for index, record in enumerate(records):
        rid = record.record_id if record.record_id not in seen else f"{record.record_id}.{index}"
        seen.add(rid)
        ids.append(rid)
    return ids


def read_response(
    records: Sequence[Record], ids: Sequence[str], payload: bytes
) -> tuple[list[Record], list[tuple[Record, str, str]]]:
    """(records that go on, (record, errorCode, errorMessage) for those that failed) from a
    function's answer; raises _Attempt when the answer is not a records document at all."""
    try:
        document = json.loads(payload)
        answers = document["records"]
        if not isinstance(answers, list):
            raise TypeError
    except (ValueError, TypeError, KeyError):
        raise _Attempt(
            "Lambda.JsonProcessingException",
            "The response from the Lambda function is not a JSON document with a records list.",
            retry=False,
        ) from None
    by_id: dict[str, list[Any]] = {}
    for answer in answers:
        if isinstance(answer, dict) and isinstance(answer.get("recordId"), str):
            by_id.setdefault(answer["recordId"], []).append(answer)
    kept: list[Record] = []
    failed: list[tuple[Record, str, str]] = []
    for record, rid in zip(records, ids, strict=True):
        found = by_id.get(rid, [])
        if not found:
            failed.append((record, "Lambda.MissingRecordId", f"recordId {rid} is missing from the response."))
            continue
        if len(found) > 1:
            failed.append(
                (record, "Lambda.DuplicatedRecordId", f"recordId {rid} is in the response more than once.")
            )
            continue
        outcome = _one(record, found[0])
        if isinstance(outcome, Record):
            kept.append(outcome)
        elif outcome is not None:
            failed.append((record, *outcome))
    return kept, failed


def _one(record: Record, answer: Mapping[str, Any]) -> Record | tuple[str, str] | None:
    result = answer.get("result")
    if result == "Dropped":
        return None
    if result == "ProcessingFailed":
        return (
            "Lambda.ProcessingFailedStatus",
            "The Lambda function returned ProcessingFailed for the record.",
        )
    if result != "Ok":
        return (
            "Lambda.InvalidResult",
            f"Invalid result {str(result)[:64]!r}: expected Ok, Dropped or ProcessingFailed.",
        )
    try:
        data = base64.b64decode(answer.get("data"), validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError):
        return "Lambda.InvalidData", "The data of an Ok record is not valid base64."
    keys = dict(record.partition_keys)
    metadata = answer.get("metadata")
    if metadata is not None:
        found = metadata.get("partitionKeys") if isinstance(metadata, dict) else None
        if found is not None:
            if not isinstance(found, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in found.items()
            ):
                return "Lambda.InvalidMetadata", "metadata.partitionKeys must map strings to strings."
            keys.update(found)
        otf = metadata.get("otfMetadata") if isinstance(metadata, dict) else None
        if otf is not None:  # an Iceberg destination's routing: carried under reserved key names
            if not isinstance(otf, dict) or not all(isinstance(v, str) for v in otf.values()):
                return "Lambda.InvalidMetadata", "metadata.otfMetadata must map names to strings."
            keys.update({OTF_PREFIX + str(k): v for k, v in otf.items()})
    return replace(record, data=data, partition_keys=keys)


async def apply(records: list[Record], params: Mapping[str, str], ctx: StageContext) -> Processed:
    if not records:
        return Processed([])
    settings = LambdaParams.of(params)
    gate = asyncio.Semaphore(OUTSTANDING)

    async def run(indexes: list[int]) -> Processed:
        async with gate:
            return await _batch([records[i] for i in indexes], settings, ctx)

    done = await asyncio.gather(*(run(b) for b in batches(records, settings.buffer_bytes)))
    return Processed([r for p in done for r in p.records], [f for p in done for f in p.failures])


async def _batch(records: list[Record], settings: LambdaParams, ctx: StageContext) -> Processed:
    ids = unique_ids(records)
    entries = [request_entry(r, rid) for r, rid in zip(records, ids, strict=True)]
    attempts = 0
    last = _Attempt("Lambda.FunctionError", "The Lambda function was not invoked.")
    while attempts <= settings.retries:
        attempts += 1
        try:
            kept, failed = await _invoke(records, ids, entries, settings, ctx)
        except _TooLarge:
            if len(records) == 1:
                last = _Attempt(
                    "Lambda.ResponseSizeTooLarge", "The response is over the 6 MB Lambda allows.", retry=False
                )
                break
            half = len(records) // 2
            first = await _batch(records[:half], settings, ctx)
            second = await _batch(records[half:], settings, ctx)
            return Processed(first.records + second.records, first.failures + second.failures)
        except _Attempt as error:
            last = error
            if not error.retry:
                break
            if error.code == "Lambda.InvokeLimitExceeded" and attempts <= settings.retries:
                await ctx.clock.sleep(min(0.1 * 2**attempts, 5.0))  # let the concurrency drain
            continue
        return Processed(kept, [_failure(r, code, msg, attempts, settings.arn) for r, code, msg in failed])
    return Processed([], [_failure(r, last.code, last.message, attempts, settings.arn) for r in records])


async def _invoke(
    records: list[Record], ids: list[str], entries: list[bytes], settings: LambdaParams, ctx: StageContext
) -> tuple[list[Record], list[tuple[Record, str, str]]]:
    if ctx.caller is None:
        raise _Attempt("Lambda.ResourceNotFound", "No functions service runs here.", retry=False)
    document = request_document(entries, ctx, str(uuid.uuid4()))
    try:
        outcome = await ctx.caller.invoke(
            settings.arn,
            document,
            principal=settings.role_arn or ctx.role_arn or PRINCIPAL,
            source_arn=ctx.stream_arn,
        )
    except DeliveryError as error:
        if error.code == "RequestEntityTooLargeException" and len(records) > 1:
            raise _TooLarge from None  # a batch of huge records: invoke smaller ones
        raise _Attempt(_code(error.code), error.message) from None
    if outcome.function_error is not None:
        code, message = _function_error(outcome.payload)
        if code == "Lambda.ResponseSizeTooLarge":
            raise _TooLarge  # Lambda refused the function's answer: smaller batches answer less
        raise _Attempt(code, message)
    if len(outcome.payload) > LIMIT:
        raise _TooLarge
    return read_response(records, ids, outcome.payload)


_CODES = {
    "TooManyRequestsException": "Lambda.InvokeLimitExceeded",
    "ResourceNotFoundException": "Lambda.FunctionNotFound",
    "AccessDeniedException": "Lambda.InvokeAccessDenied",
    "RequestEntityTooLargeException": "Lambda.RequestEntityTooLarge",
}


def _code(lambda_code: str) -> str:
    return _CODES.get(lambda_code, f"Lambda.{lambda_code.removesuffix('Exception')}")


def _function_error(payload: bytes) -> tuple[str, str]:
    try:
        document = json.loads(payload)
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    kind = str(document.get("errorType") or "")
    message = str(document.get("errorMessage") or "The Lambda function returned an error.")
    if kind == "Sandbox.Timedout":
        return "Lambda.FunctionTimedOut", message
    if kind == "Function.ResponseSizeTooLarge":
        return "Lambda.ResponseSizeTooLarge", message
    return "Lambda.FunctionError", f"{kind}: {message}" if kind else message


def _failure(record: Record, code: str, message: str, attempts: int, arn: str) -> Failure:
    return Failure(record, ERROR_TYPE, code, message, attempts=attempts, lambda_arn=arn)


def failure_document(failure: Failure, ending_ms: int) -> dict[str, Any]:
    """The processing-failed/ document AWS writes for a record (one JSON line each)."""
    return {
        "attemptsMade": failure.attempts,
        "arrivalTimestamp": failure.record.arrival_ms,
        "errorCode": failure.error_code,
        "errorMessage": failure.error_message,
        "attemptEndingTimestamp": ending_ms,
        "rawData": base64.b64encode(failure.record.data).decode(),
        "lambdaArn": failure.lambda_arn,
    }
