"""The pipeline picks the processors that run, in AWS's order."""

from __future__ import annotations

import asyncio
import json

from headwater.runtime.clock import SystemClock
from headwater.services.firehose.processing import pipeline
from headwater.services.firehose.records import Record

CTX = pipeline.StageContext("arn:aws:firehose:us-east-1:0:deliverystream/s", "us-east-1", "0", SystemClock())


def proc(kind: str, **params: str) -> dict[str, object]:
    return {
        "Type": kind,
        "Parameters": [{"ParameterName": k, "ParameterValue": v} for k, v in params.items()],
    }


def config(
    *processors: dict[str, object], enabled: bool = True, partitioned: bool = True
) -> dict[str, object]:
    return {
        "ProcessingConfiguration": {"Enabled": enabled, "Processors": list(processors)},
        "DynamicPartitioningConfiguration": {"Enabled": partitioned},
    }


def test_aws_order_whatever_the_list_order() -> None:
    listed = config(
        proc("AppendDelimiterToRecord"),
        proc("MetadataExtraction", MetadataExtractionQuery="{a:.a}", JsonParsingEngine="JQ-1.6"),
        proc("Lambda", LambdaArn="arn:aws:lambda:us-east-1:0:function:f"),
        proc("RecordDeAggregation", SubRecordType="JSON"),
        proc("Decompression", CompressionFormat="GZIP"),
        proc("CloudWatchLogProcessing", DataMessageExtraction="true"),
    )
    assert [kind for kind, _ in pipeline.processors(listed)] == [
        "Decompression",
        "CloudWatchLogProcessing",
        "RecordDeAggregation",
        "Lambda",
        "MetadataExtraction",
        "AppendDelimiterToRecord",
    ]
    assert pipeline.lambda_hints(listed) == (1024 * 1024, 60)
    assert pipeline.processors(config(*listed["ProcessingConfiguration"]["Processors"], enabled=False)) == []  # type: ignore[index]


def test_metadata_extraction_only_with_dynamic_partitioning() -> None:
    listed = config(proc("MetadataExtraction", MetadataExtractionQuery="{a:.a}"), partitioned=False)
    assert pipeline.processors(listed) == []
    assert pipeline.lambda_hints(listed) is None


def test_process_runs_the_stages() -> None:
    listed = config(proc("MetadataExtraction", MetadataExtractionQuery="{a:.a}", JsonParsingEngine="JQ-1.6"))
    records = [Record("1", json.dumps({"a": "x"}).encode(), 0), Record("2", b"nope", 0)]
    done = asyncio.run(pipeline.process(listed, records, CTX))
    assert [(r.record_id, dict(r.partition_keys)) for r in done.records] == [("1", {"a": "x"})]
    assert [f.record.record_id for f in done.failures] == ["2"]


def test_lambda_without_functions_service_fails_the_records() -> None:
    listed = config(proc("Lambda", LambdaArn="arn:aws:lambda:us-east-1:0:function:f"))
    done = asyncio.run(pipeline.process(listed, [Record("1", b"x", 0)], CTX))
    assert done.records == []
    assert [(f.error_output_type, f.error_code, f.attempts) for f in done.failures] == [
        ("processing-failed", "Lambda.ResourceNotFound", 1)
    ]
