"""`aws iot-data` against a live server: the CLI v1 (a blob parameter is the text as given) and v2
(`--cli-binary-format raw-in-base64-out`, as AWS's docs write the command)."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.support.cli import Cli
from tests.e2e.support.cli_v2 import v2_clis


def test_cli_v1_publish_and_read_back(cli: Callable[..., Cli]) -> None:
    data = cli("iot-data")
    data.ok("publish", "--topic", "cli/v1", "--qos", "1", "--retain", "--payload", "hello")
    got = data("get-retained-message", "--topic", "cli/v1")
    assert (got["topic"], base64.b64decode(got["payload"]), got["qos"]) == ("cli/v1", b"hello", 1)
    listed = data("list-retained-messages")["retainedTopics"]
    assert [(m["topic"], m["payloadSize"]) for m in listed] == [("cli/v1", 5)]
    missing = data.run("get-retained-message", "--topic", "cli/none")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


@pytest.mark.parametrize("aws", v2_clis())
def test_cli_v2_publish_raw_in_base64_out(aws: Path, cli: Callable[..., Cli]) -> None:
    data = cli("iot-data")
    command = [
        str(aws), "--endpoint-url", data.endpoint, "--output", "json", "iot-data", "publish",
        "--topic", "cli/v2", "--retain", "--cli-binary-format", "raw-in-base64-out",
        "--payload", '{"temperature": 21}',
    ]  # fmt: skip
    done = subprocess.run(
        command, env={**data.env, "AWS_PAGER": ""}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = data("get-retained-message", "--topic", "cli/v2")
    assert base64.b64decode(got["payload"]) == b'{"temperature": 21}'


def test_cli_v1_connection_operations_reach_the_broker(cli: Callable[..., Cli]) -> None:
    # no client is connected: each command parses, is routed and answered by the broker
    data = cli("iot-data")
    for command in (
        ("get-connection", "--client-id", "bulb-1", "--include-socket-information"),
        ("list-subscriptions", "--client-id", "bulb-1"),
        ("send-direct-message", "--client-id", "bulb-1", "--topic", "cmd/bulb-1", "--confirmation",
         "--timeout", "5", "--payload", "on"),
    ):  # fmt: skip
        done = data.run(*command)
        assert done.returncode != 0 and "ResourceNotFoundException" in done.stderr, done.stderr
