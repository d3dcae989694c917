"""What CreateEventSourceMapping and UpdateEventSourceMapping accept, per source, with Lambda's
defaults and refusals. The botocore model checks ranges (BatchSize 1-10,000, windows 0-300,
ParallelizationFactor 1-10, MaximumRetryAttempts -1-10,000, MaximumConcurrency 2-1,000); this adds
the rules that depend on the source."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.event_patterns import FilterSet, PatternError
from headwater.services.functions import errors
from headwater.services.functions.mappings.record import KINESIS, SQS

# parameter -> record field, for the members only one source takes
KINESIS_ONLY = {
    "ParallelizationFactor": "parallelization",
    "MaximumRetryAttempts": "max_retry",
    "MaximumRecordAgeInSeconds": "max_record_age",
    "BisectBatchOnFunctionError": "bisect",
    "TumblingWindowInSeconds": "tumbling_s",
}
SQS_ONLY = {"ScalingConfig"}
DEFAULT_BATCH = {KINESIS: 100, SQS: 10}


def source_of(arn: str | None) -> str:
    if arn and arn.startswith("arn:") and arn.count(":") >= 5:
        service = arn.split(":")[2]
        if service in (KINESIS, SQS):
            return service
    raise errors.invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")


def unsupported(name: str) -> AwsError:
    return errors.invalid(f"Unsupported {name} parameter for given event source mapping type.")


def check_members(source: str, params: dict[str, Any]) -> None:
    """Refuses the members the source does not take."""
    if source == SQS:
        for name in (*KINESIS_ONLY, "StartingPosition", "StartingPositionTimestamp", "DestinationConfig"):
            if params.get(name) is not None:
                raise unsupported(name)
    else:
        for name in SQS_ONLY:
            if params.get(name) is not None:
                raise unsupported(name)


def starting(params: dict[str, Any]) -> tuple[str, float | None]:
    position = params.get("StartingPosition")
    if position is None:
        raise errors.invalid(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
            "Member must not be null."
        )
    stamp = params.get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP" and stamp is None:
        raise errors.invalid("Need to specify a timestamp")
    if position != "AT_TIMESTAMP" and stamp is not None:
        raise errors.invalid("Timestamp is only valid for AT_TIMESTAMP starting position")
    return position, None if stamp is None else _epoch(stamp)


def _epoch(value: Any) -> float:
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


def filters(source: str, criteria: Any) -> dict[str, Any] | None:
    if not criteria or not criteria.get("Filters"):
        return None
    try:
        FilterSet.from_criteria(criteria, source="kinesis" if source == KINESIS else "sqs")
    except PatternError as error:
        raise errors.invalid(error.message) from None
    return {"Filters": [{"Pattern": entry["Pattern"]} for entry in criteria["Filters"]]}


def check_batching(source: str, fifo: bool, batch: int, window: int) -> None:
    if source != SQS:
        return
    if fifo:
        if batch > 10:
            raise errors.invalid("Batch size for an SQS FIFO queue must be between 1 and 10.")
        if window:
            raise errors.invalid(
                "MaximumBatchingWindowInSeconds is not supported by Amazon SQS FIFO event sources."
            )
    elif batch > 10 and window <= 0:
        raise errors.invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )


def destination(params: dict[str, Any]) -> str | None:
    config = params.get("DestinationConfig") or {}
    if config.get("OnSuccess"):
        raise unsupported("DestinationConfig")
    target = (config.get("OnFailure") or {}).get("Destination")
    if target and target.split(":")[2:3] != ["sqs"]:
        raise errors.invalid(
            f"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination={target})) "
            "is invalid. Headwater delivers OnFailure records to SQS queues."
        )
    return target or None


def settings(source: str, params: dict[str, Any]) -> dict[str, Any]:
    """The record fields the request sets (Create: all of them, with defaults filled by the caller)."""
    changes: dict[str, Any] = {}
    if "BatchSize" in params:
        changes["batch_size"] = params["BatchSize"]
    if "MaximumBatchingWindowInSeconds" in params:
        changes["window_s"] = params["MaximumBatchingWindowInSeconds"]
    if "Enabled" in params:
        changes["enabled"] = bool(params["Enabled"])
    if "FilterCriteria" in params:
        changes["filter_criteria"] = filters(source, params["FilterCriteria"])
    if "FunctionResponseTypes" in params:
        changes["response_types"] = list(params["FunctionResponseTypes"] or [])
    for name, field in KINESIS_ONLY.items():
        if name in params and params[name] is not None:
            changes[field] = params[name]
    if "DestinationConfig" in params and source == KINESIS:
        changes["on_failure"] = destination(params)
    if "ScalingConfig" in params and source == SQS:
        changes["max_concurrency"] = (params["ScalingConfig"] or {}).get("MaximumConcurrency")
    return changes
