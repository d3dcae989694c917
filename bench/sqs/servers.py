"""The servers of the SQS benchmark: Headwater (durable, fast), moto and LocalStack's SQS without Docker
(how each is started and installed is in bench/common/peers.py)."""

from __future__ import annotations

from bench.common import peers
from bench.common.peers import MOTO
from bench.common.servers import headwater, trivial

ALL_SERVERS = [headwater("durable"), headwater("fast"), MOTO, peers.localstack("sqs")]
TRIVIAL = trivial("trivial-sqs", "bench.sqs.trivial")


def install(wanted: set[str]) -> dict[str, str]:
    return peers.install(wanted, services=["sqs"])


def versions() -> dict[str, str]:
    return peers.versions({s.family for s in ALL_SERVERS})
