"""What every processing stage may need to know about the delivery stream it works for."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.runtime.clock import SystemClock
from headwater.services.ports import FunctionCaller


@dataclass(frozen=True, slots=True)
class StageContext:
    stream_arn: str
    region: str
    account: str
    clock: SystemClock
    caller: FunctionCaller | None = None  # None: no functions service (a Lambda processor then fails)
    source_stream_arn: str | None = None  # KinesisStreamAsSource: the Kinesis stream's ARN
    role_arn: str | None = None  # the destination's RoleARN: what Firehose invokes functions as
