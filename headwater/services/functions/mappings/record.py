"""An event-source mapping's definition, as stored and as the API shows it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

KINESIS = "kinesis"
SQS = "sqs"
USER_INITIATED = "USER_INITIATED"
NO_RECORDS = "No records processed"
OK = "OK"
FAILED = "PROBLEM: Function call failed"
NO_FUNCTION = "PROBLEM: Function not found"


@dataclass(frozen=True, slots=True)
class MappingRecord:
    uuid: str
    account: str
    region: str
    function_arn: str
    source_arn: str
    source: str  # KINESIS or SQS
    batch_size: int
    window_s: int = 0
    enabled: bool = True
    state: str = "Creating"
    reason: str = USER_INITIATED
    last_result: str = NO_RECORDS
    last_modified: float = 0.0
    filter_criteria: dict[str, Any] | None = None
    response_types: list[str] = field(default_factory=list)
    # Kinesis only
    starting_position: str | None = None
    starting_timestamp: float | None = None
    parallelization: int = 1
    max_retry: int = -1
    max_record_age: int = -1
    bisect: bool = False
    tumbling_s: int = 0
    on_failure: str | None = None  # DestinationConfig.OnFailure.Destination
    # SQS only
    max_concurrency: int | None = None

    @property
    def key(self) -> str:
        return self.uuid

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:event-source-mapping:{self.uuid}"

    @property
    def stream_arn(self) -> str:
        """The stream a Kinesis mapping reads: its source, or the stream of the enhanced fan-out
        consumer it reads through (`<stream ARN>/consumer/<name>:<stamp>`)."""
        return self.source_arn.partition("/consumer/")[0]

    @property
    def consumer_arn(self) -> str | None:
        return self.source_arn if "/consumer/" in self.source_arn else None

    @property
    def function_key(self) -> str:
        # arn:aws:lambda:<region>:<account>:function:<name>
        parts = self.function_arn.split(":")
        return f"{parts[4]}/{parts[3]}/{parts[6]}"

    @property
    def reports_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.response_types

    def evolve(self, **changes: Any) -> MappingRecord:
        return replace(self, **changes)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> MappingRecord:
        data = json.loads(raw)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def configuration(self) -> dict[str, Any]:
        """EventSourceMappingConfiguration, with the members Lambda shows for the source."""
        out: dict[str, Any] = {"UUID": self.uuid}
        if self.source == KINESIS:
            out["StartingPosition"] = self.starting_position
            if self.starting_timestamp is not None:
                out["StartingPositionTimestamp"] = self.starting_timestamp
        out["BatchSize"] = self.batch_size
        out["MaximumBatchingWindowInSeconds"] = self.window_s
        if self.source == KINESIS:
            out["ParallelizationFactor"] = self.parallelization
        out["EventSourceArn"] = self.source_arn
        if self.filter_criteria:
            out["FilterCriteria"] = self.filter_criteria
        out["FunctionArn"] = self.function_arn
        out["LastModified"] = self.last_modified
        if self.source == KINESIS:
            out["LastProcessingResult"] = self.last_result
        out["State"] = self.state
        out["StateTransitionReason"] = self.reason
        if self.source == KINESIS:
            on_failure = {"Destination": self.on_failure} if self.on_failure else {}
            out["DestinationConfig"] = {"OnFailure": on_failure}
            out["MaximumRecordAgeInSeconds"] = self.max_record_age
            out["BisectBatchOnFunctionError"] = self.bisect
            out["MaximumRetryAttempts"] = self.max_retry
            out["TumblingWindowInSeconds"] = self.tumbling_s
        if self.source == SQS and self.max_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": self.max_concurrency}
        out["FunctionResponseTypes"] = list(self.response_types)
        out["EventSourceMappingArn"] = self.arn
        return out
