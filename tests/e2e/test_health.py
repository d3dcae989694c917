"""What a running server says about itself: `GET /_headwater/health`, `/_headwater/resources` and
the start-up banner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.support.server import Server, server_fixture

memory_server = server_fixture("memory-banner", "--durability memory --limits off --transition-delay 0")


def test_health_describes_storage_auth_tls_and_resources(server: Server, client: Callable[..., Any]) -> None:
    client("kinesis").create_stream(StreamName="counted", ShardCount=1)
    client("sqs").create_queue(QueueName="counted")
    client("s3").create_bucket(Bucket="counted-bucket")
    client("kms").create_key()
    health = server.admin("GET", "health")
    assert health["status"] == "running"
    assert health["storage"] == {
        "durability": "fast",
        "data_dir": str(server.data_dir.resolve()),
        "used_bytes": health["storage"]["used_bytes"],
    }
    assert health["storage"]["used_bytes"] > 0
    assert health["auth"] == "open"
    assert health["tls"] == {"enabled": False, "certificate": None}
    resources = health["resources"]
    assert resources["kinesis"]["streams"] == 1 and resources["sqs"]["queues"] == 1
    assert resources["s3"]["buckets"] == 1 and resources["kms"]["keys"] == 1

    names = server.admin("GET", "resources")
    assert names["kinesis"]["streams"] == ["counted"]
    assert names["sqs"]["queues"] == [f"http://localhost:{server.port}/000000000000/counted"]
    assert names["s3"]["buckets"] == ["counted-bucket"]


def test_resources_of_other_accounts_say_whose(server: Server, client: Callable[..., Any]) -> None:
    client("kinesis", access_key="111122223333", region="eu-west-1").create_stream(
        StreamName="elsewhere", ShardCount=1
    )
    assert server.admin("GET", "resources")["kinesis"]["streams"] == ["elsewhere (111122223333 eu-west-1)"]


def test_memory_banner_names_no_data_dir(memory_server: Server) -> None:
    banner = memory_server.output()
    assert "storage     memory (nothing on disk)" in banner
    assert str(memory_server.data_dir) not in banner
    assert "tls         off" in banner and "resources   none yet" in banner
    assert "storage" in memory_server.admin("GET", "health")
    assert "data_dir" not in memory_server.admin("GET", "health")["storage"]
