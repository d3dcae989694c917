"""Every processing stage of a destination, in AWS's order, whatever order its Processors list has.

Theory of operation
-------------------
A destination's ProcessingConfiguration lists processors (Type + Parameters); when it is enabled
they run in the fixed order AWS documents: Decompression (CloudWatch Logs' gzip), CloudWatchLogProcessing
(one record per log event's message), RecordDeAggregation (JSON or DELIMITED sub-records), Lambda
(the transformation), MetadataExtraction (jq partition keys, only with dynamic partitioning on) and
AppendDelimiterToRecord. Record format conversion, compression and the destination come after,
in the delivery worker. Each stage sees only the records the stages before it let through; their
failures accumulate for the error output. KPL de-aggregation of a Kinesis source happens when the
source reads, before any of this.

The non-Lambda stages are plain library modules (`processing/<module>.apply(records, params)`,
sync or async); a stage whose module is not installed passes records through unchanged.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.services.firehose.processing import partitioning, transform
from headwater.services.firehose.processing.context import StageContext
from headwater.services.firehose.records import Failure, Processed, Record

__all__ = ["ORDER", "StageContext", "parameters", "processors", "process", "lambda_hints"]

# (processor Type, the module under processing/ that runs it), in AWS's order
ORDER: tuple[tuple[str, str], ...] = (
    ("Decompression", "decompression"),
    ("CloudWatchLogProcessing", "cloudwatch"),
    ("RecordDeAggregation", "deaggregation"),
    ("Lambda", "transform"),
    ("MetadataExtraction", "partitioning"),
    ("AppendDelimiterToRecord", "delimiter"),
)


def parameters(processor: Mapping[str, Any]) -> dict[str, str]:
    """A processor's Parameters list as a name -> value mapping."""
    return {
        str(p["ParameterName"]): str(p["ParameterValue"])
        for p in processor.get("Parameters") or ()
        if "ParameterName" in p
    }


def processors(config: Mapping[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(Type, parameters) of the processors that run, in AWS's order."""
    processing = config.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled"):
        return []
    listed: dict[str, dict[str, str]] = {}
    for processor in processing.get("Processors") or ():
        listed[str(processor.get("Type"))] = parameters(processor)
    partitioned = bool((config.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))
    return [
        (kind, listed[kind])
        for kind, _ in ORDER
        if kind in listed and (kind != "MetadataExtraction" or partitioned)
    ]


def lambda_hints(config: Mapping[str, Any]) -> tuple[int, int] | None:
    """(bytes, seconds) a worker gathers before a Lambda transformation, or None without one."""
    for kind, params in processors(config):
        if kind == "Lambda":
            return transform.hints(params)
    return None


def _stage(module: str) -> Callable[..., Any] | None:
    if module == "transform":
        return transform.apply
    if module == "partitioning":
        return partitioning.apply
    try:
        loaded = importlib.import_module(f"headwater.services.firehose.processing.{module}")
    except ModuleNotFoundError:
        return None
    found = getattr(loaded, "apply", None)
    return found if callable(found) else None


async def process(config: Mapping[str, Any], records: Sequence[Record], ctx: StageContext) -> Processed:
    """Runs the destination's processors over `records`, in AWS's order."""
    current = list(records)
    failures: list[Failure] = []
    modules = dict(ORDER)
    for kind, params in processors(config):
        if not current:
            break
        stage = _stage(modules[kind])
        if stage is None:
            continue
        if kind == "Lambda":
            result: Any = stage(current, params, ctx)
        else:
            result = stage(current, params)
        if inspect.isawaitable(result):
            result = await result
        current = list(result.records)
        failures.extend(result.failures)
    return Processed(current, failures)
