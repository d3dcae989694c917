"""The control plane's checks of a destination's ProcessingConfiguration: what CreateDeliveryStream
and UpdateDestination refuse with InvalidArgumentException before a worker could trip on it.

A Lambda processor needs a function ARN; its numbers must parse and lie in AWS's documented
ranges (BufferSizeInMBs 0.2-3, BufferIntervalInSeconds 0-900 with 0 as zero buffering,
NumberOfRetries not negative); a MetadataExtraction processor needs a jq query that compiles and a supported JsonParsingEngine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from headwater.services.firehose.processing.partitioning import check_query
from headwater.services.firehose.processing.pipeline import parameters

_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,140}(:[\w$-]+)?"
)
_ROLE_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def _number(
    params: Mapping[str, str], name: str, low: float, high: float | None, integral: bool
) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw) if integral else float(raw)
    except ValueError:
        return f"Processor parameter {name} must be {'an integer' if integral else 'a number'}: {raw!r}."
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        return f"Processor parameter {name} must be {bound}: {raw}."
    return None


def _lambda(params: Mapping[str, str]) -> str | None:
    arn = params.get("LambdaArn")
    if not arn:
        return "LambdaArn is required for the Lambda processor."
    if not _FUNCTION_ARN.fullmatch(arn):
        return f"Processor parameter LambdaArn is not a valid Lambda function ARN: {arn}."
    role = params.get("RoleArn")
    if role is not None and not _ROLE_ARN.fullmatch(role):
        return f"Processor parameter RoleArn is not a valid IAM role ARN: {role}."
    return (
        _number(params, "BufferSizeInMBs", 0.2, 3, integral=False)
        or _number(params, "BufferIntervalInSeconds", 0, 900, integral=True)
        or _number(params, "NumberOfRetries", 0, None, integral=True)
    )


def _metadata(params: Mapping[str, str]) -> str | None:
    query = params.get("MetadataExtractionQuery")
    if not query:
        return "MetadataExtractionQuery is required for the MetadataExtraction processor."
    return check_query(query, params.get("JsonParsingEngine", "JQ-1.6"))


def problem(config: Mapping[str, Any]) -> str | None:
    """Why the destination's processors cannot run, or None."""
    processing = config.get("ProcessingConfiguration") or {}
    seen: set[str] = set()
    for processor in processing.get("Processors") or ():
        kind = str(processor.get("Type"))
        if kind in seen:
            return f"Processor type {kind} must not be specified more than once."
        seen.add(kind)
        params = parameters(processor)
        found = (
            _lambda(params)
            if kind == "Lambda"
            else _metadata(params)
            if kind == "MetadataExtraction"
            else None
        )
        if found is not None:
            return found
    return None
