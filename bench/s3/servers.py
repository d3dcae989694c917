"""The servers of the S3 benchmark: Headwater (durable, fast), moto and LocalStack's S3 without Docker.

moto serves S3 from the same `moto[server]` venv as every other service; LocalStack is the same install as
for SQS (bench/common/peers.py), started with `SERVICES=s3`. Its S3 keeps object bodies in spooled temporary
files under its FILESYSTEM_ROOT (the run's data directory) and everything else in memory.
"""

from __future__ import annotations

from bench.common import peers
from bench.common.peers import MOTO
from bench.common.servers import headwater, trivial

ALL_SERVERS = [headwater("durable"), headwater("fast"), MOTO, peers.localstack("s3")]
TRIVIAL = trivial("trivial-s3", "bench.s3.trivial")


def install(wanted: set[str]) -> dict[str, str]:
    # Its S3 provider imports more than its SQS one: checked as part of the install.
    return peers.install(wanted, services=["s3"])


def versions() -> dict[str, str]:
    return peers.versions({s.family for s in ALL_SERVERS})
