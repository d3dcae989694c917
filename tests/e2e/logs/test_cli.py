"""CloudWatch Logs from the AWS CLI: v1's commands, and `aws logs tail --follow` with the AWS CLI v2
`make test` builds and any other v2 named (tests/e2e/support/cli_v2.py; v1 has no `logs tail`), run as a subprocess on a pseudo-terminal
(so its output is not held in a pipe's buffer) until the events put meanwhile are printed."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support.cli import Cli
from tests.e2e.support.cli_v2 import v2_clis

GROUP = "/aws/lambda/tailed"


def server_ms(server: Any) -> int:
    return int(float(server.admin("GET", "clock")["now"]) * 1000)


def test_cli_v1_groups_streams_events(cli: Callable[..., Cli], server: Any) -> None:
    logs = cli("logs")
    logs.ok("create-log-group", "--log-group-name", GROUP)
    logs.ok("create-log-stream", "--log-group-name", GROUP, "--log-stream-name", "s")
    now = server_ms(server)
    events = f"timestamp={now},message=hello timestamp={now + 1},message=world"
    logs.ok(
        "put-log-events", "--log-group-name", GROUP, "--log-stream-name", "s", "--log-events", *events.split()
    )
    groups = logs("describe-log-groups", "--log-group-name-prefix", "/aws/lambda/")
    assert [g["logGroupName"] for g in groups["logGroups"]] == [GROUP]
    got = logs("get-log-events", "--log-group-name", GROUP, "--log-stream-name", "s", "--start-from-head")
    assert [e["message"] for e in got["events"]] == ["hello", "world"]
    found = logs("filter-log-events", "--log-group-name", GROUP, "--filter-pattern", "world")
    assert [e["message"] for e in found["events"]] == ["world"]
    logs.ok("delete-log-group", "--log-group-name", GROUP)
    missing = logs.run("describe-log-streams", "--log-group-name", GROUP)
    assert missing.returncode != 0 and "The specified log group does not exist." in missing.stderr


class Tail:
    """`aws logs tail --follow` on a pseudo-terminal; `wait_for` reads its output until a deadline."""

    def __init__(self, aws: Path, endpoint: str, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        command = [str(aws), "--endpoint-url", endpoint, "--color", "off", "logs", "tail", GROUP, "--follow"]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.output = ""

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} not printed in {timeout}s; output so far: {self.output!r}"
            assert self.process.poll() is None, f"the CLI exited: {self.output!r}"
            ready, _, _ = select.select([self.master], [], [], min(remaining, 1.0))
            if ready:
                with contextlib.suppress(OSError):  # the terminal closed: the CLI exited
                    self.output += os.read(self.master, 65536).decode(errors="replace")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.mark.parametrize("aws", v2_clis(), ids=lambda path: f"aws={path}")
def test_logs_tail_follow(
    aws: Path, endpoint: str, server: Any, client: Callable[..., Any], tmp_path: Path
) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="2026/12/05/[$LATEST]a1")
    now = server_ms(server)
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="2026/12/05/[$LATEST]a1",
        logEvents=[{"timestamp": now, "message": "START RequestId: one"}],
    )
    env = dict(Cli(endpoint, tmp_path).env, AWS_PAGER="", PYTHONUNBUFFERED="1")
    tail = Tail(aws, endpoint, env)
    try:
        tail.wait_for("START RequestId: one")
        logs.create_log_stream(logGroupName=GROUP, logStreamName="2026/12/05/[$LATEST]b2")
        later = server_ms(server)
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName="2026/12/05/[$LATEST]b2",
            logEvents=[{"timestamp": later, "message": "REPORT RequestId: two"}],
        )
        tail.wait_for("REPORT RequestId: two")  # the CLI polls every 5 s
        assert tail.output.count("START RequestId: one") == 1  # the CLI's tail removes repeats by eventId
    finally:
        tail.close()
