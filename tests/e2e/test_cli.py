"""The `headwater` command: help with no arguments, defaults and variables in every option's help,
`version`, and `status`, `ls` and `reset` against a running server (or none)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from headwater import __version__
from tests.e2e.support.server import Server, free_port


def headwater(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    command = [sys.executable, "-m", "headwater", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_no_arguments_prints_help() -> None:
    result = headwater()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: headwater")
    for command in ("serve", "status", "ls", "reset", "version"):
        assert f"  {command} " in result.stdout


def test_serve_help_shows_defaults_and_variables() -> None:
    text = " ".join(headwater("serve", "--help").stdout.split())  # help text wraps anywhere
    for flag, env, default in [
        ("--port", "HEADWATER_PORT", "4566"),
        ("--data-dir", "HEADWATER_DATA_DIR", "./data"),
        ("--durability", "HEADWATER_DURABILITY", "durable"),
        ("--log-format", "HEADWATER_LOG_FORMAT", "text"),
        ("--transition-delay", "HEADWATER_TRANSITION_DELAY", "0.5"),
    ]:
        assert flag in text
        assert f"env var: {env}; default: {default}]" in text
    assert "env var: HEADWATER_TLS_NAMES]" in text  # no default to show


def test_version() -> None:
    assert headwater("version").stdout.strip() == f"headwater {__version__}"
    assert headwater("--version").stdout.strip() == f"headwater {__version__}"


def test_bad_flag_value_is_one_clean_error() -> None:
    result = headwater("serve", "--limits", "maybe")
    assert result.returncode == 2
    assert "expected on or off, not 'maybe'" in result.stderr and "Traceback" not in result.stderr


def test_status_ls_and_reset(server: Server, client: Callable[..., Any]) -> None:
    client("kinesis").create_stream(StreamName="listed", ShardCount=1)
    client("sqs").create_queue(QueueName="listed")
    status = headwater("status", "--endpoint", server.endpoint)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith(f"Headwater {__version__} at {server.endpoint}: running, up ")
    assert f"  storage    fast, {server.data_dir.resolve()}, " in status.stdout
    assert "  auth       open    limits off    tls off" in status.stdout
    assert any(line.split() == ["kinesis", "running", "1", "streams"] for line in lines)

    listed = headwater("ls", "--endpoint", server.endpoint).stdout.splitlines()
    assert ["kinesis", "streams", "listed"] in [line.split() for line in listed]
    queue = f"http://localhost:{server.port}/000000000000/listed"
    assert headwater("ls", "sqs", "--endpoint", server.endpoint).stdout.split() == ["sqs", "queues", queue]
    unknown = headwater("ls", "nosuch", "--endpoint", server.endpoint)
    assert unknown.returncode == 1 and unknown.stderr.startswith("headwater: no service 'nosuch'")

    assert headwater("reset", "--yes", "--endpoint", server.endpoint).returncode == 0
    assert server.admin("GET", "resources")["kinesis"]["streams"] == []


def test_status_without_a_server() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    for args in (("status",), ("ls",), ("reset", "--yes")):
        result = headwater(*args, "--endpoint", endpoint)
        assert result.returncode == 1
        assert result.stderr == f"headwater: no Headwater server at {endpoint} (connection refused)\n"
