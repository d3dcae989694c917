"""The three workloads the comparison measures: each is the first phase of its service's benchmark, run
through that benchmark's own scenario (same client, same settings, a fresh durable server), just that phase.

- Kinesis: the ingest phase, PutRecords of 500 x 1 KiB from 8 producers into 4 shards, without the growth
  run that follows it in the full benchmark (records/s over `duration` s).
- SQS: the send phase, SendMessageBatch of 10 x 1 KiB from 8 clients into a standard queue (msg/s).
- S3: the small PUT phase, 8 clients PUT 1 KiB objects back to back, each ETag checked (req/s).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import runner
from bench.common.scenario import Outcome
from bench.common.servers import Server
from bench.common.wire import HEADER_SIZE
from bench.kinesis import scenario as kinesis_scenario
from bench.s3 import scenario as s3_scenario
from bench.sqs import run as sqs_run
from bench.sqs import scenario as sqs_scenario

# (server, run, duration, work directory, keep data) -> that run's outcome
Measure = Callable[[Server, int, float, Path, bool], Outcome]


@dataclass(frozen=True, slots=True)
class Workload:
    key: str
    title: str
    unit: str
    metric: str  # the outcome metric compared
    full: float  # default seconds of measurement, as in the service's benchmark
    measure: Measure


def _kinesis(server: Server, run: int, duration: float, workdir: Path, keep: bool) -> Outcome:
    s = kinesis_scenario.Settings(duration=duration, growth_records=0, keep_data=keep)
    return kinesis_scenario.run_server(server, run, s, workdir, log=runner.log, only={"ingest"})


def _sqs(server: Server, run: int, duration: float, workdir: Path, keep: bool) -> Outcome:
    s = sqs_run.Settings(duration=duration, keep_data=keep)
    return sqs_scenario.run_server(server, run, s, workdir, log=runner.log, only={"send"})


def _s3(server: Server, run: int, duration: float, workdir: Path, keep: bool) -> Outcome:
    s = s3_scenario.Settings(duration=duration, keep_data=keep)
    # Small PUTs use only the small tail; the large tail and multipart file are for later phases.
    p = s3_scenario.Payloads(os.urandom(s.small_size - HEADER_SIZE), b"", Path(os.devnull))
    return s3_scenario.run_server(server, run, s, workdir, p, None, log=runner.log, only={"small_put"})


WORKLOADS = [
    Workload(
        "kinesis",
        "Kinesis PutRecords 500 x 1 KiB, 8 producers, 4 shards",
        "records/s",
        "ingest_rps",
        20.0,
        _kinesis,
    ),
    Workload(
        "sqs", "SQS SendMessageBatch 10 x 1 KiB, 8 clients, standard queue", "msg/s", "send_rps", 20.0, _sqs
    ),
    Workload("s3", "S3 PUT 1 KiB objects, 8 clients", "req/s", "small_put_rps", 15.0, _s3),
]
