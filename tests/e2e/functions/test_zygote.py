"""Python workers forked from the zygote see what directly started ones see, and die the same way."""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.functions.support import ensure_role, invoke, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, serving

OBSERVER = """
import os
import sys
import time

def handler(event, context):
    def stream(s):
        return [type(s.buffer).__name__, s.encoding, s.errors, s.line_buffering, s.write_through]

    print("printed")  # no flush: in this invocation's log only if stdout is unbuffered
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "leader": os.getsid(0) == os.getpid() == os.getpgid(0),
        "root": os.environ["LAMBDA_TASK_ROOT"],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "path": sys.path,
        "argv": sys.argv,
        "main": sys.modules["__main__"].__spec__.name,
        "streams": [stream(sys.stdout), stream(sys.stderr)],
        "stdin": os.read(0, 10).decode(),
        "tz": [time.tzname, time.timezone],
        "function": [context.function_name, context.memory_limit_in_mb, context.log_stream_name],
    }
"""
PER_WORKER = (
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_FUNCTION_NAME",
    "_X_AMZN_TRACE_ID",
)


_MEMORY = re.compile(r"Max Memory Used: (\d+) MB")


class DirectServer(Server):
    """A server whose Python workers all start directly (no zygote)."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, *args, env={**(env or {}), "HEADWATER_PYTHON_ZYGOTE": "off"})


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "direct", "--durability fast --limits off", DirectServer) as running:
        yield running


def _normal(seen: dict[str, Any], name: str, server: Server) -> dict[str, Any]:
    """What must match between two workers, with their own directory, names and server taken out."""
    root = str(Path(seen["root"]).parent)

    def plain(value: Any) -> str:
        return repr(value).replace(root, "<root>").replace(name, "<name>").replace(server.endpoint, "<url>")

    env = {k: "-" if k in PER_WORKER else plain(v) for k, v in seen["env"].items()}
    rest = {k: plain(v) for k, v in seen.items() if k not in ("pid", "ppid", "function", "env")}
    return {"env": env, "memory": seen["function"][1], **rest}


def _observe(lam: Any, role: str, name: str) -> tuple[dict[str, Any], str]:
    python_function(lam, name, OBSERVER, role, Environment={"Variables": {"COLOUR": "green"}})
    answer, seen = invoke(lam, name, {}, LogType="Tail")
    assert "FunctionError" not in answer, seen
    return seen, base64.b64decode(answer["LogResult"]).decode()


def _forked(lam: Any, role: str, server: Server) -> tuple[dict[str, Any], str, str]:
    """Observations of a forked worker: new functions until one is not the server's own child
    (the first Python worker starts directly while the zygote starts)."""
    assert server.process is not None
    deadline = time.monotonic() + 30
    n = 0
    while time.monotonic() < deadline:
        name = f"observer-{n}"
        seen, log = _observe(lam, role, name)
        if seen["ppid"] != server.process.pid:
            return seen, log, name
        n += 1
    raise AssertionError("no worker forked from the zygote within 30 s")


def test_forked_worker_sees_what_a_started_one_sees(
    lam: Any, role: str, server: Server, direct: Server
) -> None:
    forked, forked_log, forked_name = _forked(lam, role, server)
    direct.reset()
    other = partial(client_for, direct.endpoint)
    started, started_log = _observe(other("lambda"), ensure_role(other), "observer")
    assert direct.process is not None and started["ppid"] == direct.process.pid
    a, b = _normal(forked, forked_name, server), _normal(started, "observer", direct)
    env_a, env_b = a.pop("env"), b.pop("env")
    assert {k: (env_a.get(k), env_b.get(k)) for k in env_a | env_b if env_a.get(k) != env_b.get(k)} == {}
    assert a == b
    assert forked["leader"] and forked["cwd"] == forked["root"] and forked["env"]["COLOUR"] == "green"
    assert forked["path"][0] == forked["root"] and forked["stdin"] == ""
    for log in (forked_log, started_log):
        assert "printed" in log and "Init Duration:" in log
    used = [int(m.group(1)) for t in (forked_log, started_log) if (m := _MEMORY.search(t))]
    assert len(used) == 2 and used[0] > 0 and abs(used[0] - used[1]) <= max(8, used[1] // 2), used


def test_forked_worker_killed_at_its_timeout_and_exit_status_reported(
    lam: Any, role: str, server: Server
) -> None:
    _forked(lam, role, server)  # the zygote is up: the functions below fork
    source = """
    import os, time
    def handler(event, context):
        if event.get("exit") is not None:
            os._exit(event["exit"])
        if event.get("sleep"):
            time.sleep(30)
        return os.getpid()
    """
    python_function(lam, "sleepy", source, role, Timeout=1)
    _, pid = invoke(lam, "sleepy")
    answer, body = invoke(lam, "sleepy", {"sleep": True})
    assert body["errorType"] == "Sandbox.Timedout"
    deadline = time.monotonic() + 10
    while _exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _exists(pid), "the timed-out worker still runs"
    _, again = invoke(lam, "sleepy")
    assert again != pid  # a new worker
    answer, body = invoke(lam, "sleepy", {"exit": 3})
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
