"""README.md is a tested script: every ```sh/```bash and ```python block runs, top to bottom, against a
fresh server started as `make serve` starts it (default flags), with the AWS CLI v1 of the venv, the AWS
CLI v2 `make test` builds (HEADWATER_AWS_CLI_V2) and any other CLI named in HEADWATER_README_AWS (paths
separated by `:`); see tests/e2e/support/cli_v2.py.

How blocks run (the README says the same under "Quick start"):
- Shell blocks run with bash (`set -eo pipefail`) like one terminal session: variables they export and
  the directory they `cd` to carry over to the next shell block. The first terminal has no AWS_*
  variable and a HOME of its own, so nothing from the developer's AWS setup leaks in.
- Python blocks each run on their own, in a fresh interpreter without the shell's variables.
- `localhost:4566` and `127.0.0.1:4566` are rewritten to the test server's port, and the README's second
  server's 4567 to a free port.
- A block right after `<!-- not-run: reason -->` is skipped (starting a server, docker, terraform...);
  other languages (ini, yaml, hcl, plain ```) are never run.
A failure names the block's line in README.md and shows its output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support.cli_v2 import extra_clis
from tests.e2e.support.server import Server, free_port

README = Path(__file__).resolve().parents[1] / "README.md"
RUNNERS = {"sh": "bash", "bash": "bash", "python": "python"}
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->")
FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)(.*)$")
BLOCK_TIMEOUT = 180.0


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    not_run: str | None  # the reason, when marked


def blocks(markdown: str) -> list[Block]:
    """Fenced blocks at the start of a line, in order, each with the not-run reason of the marker on
    the last non-blank line before it."""
    found: list[Block] = []
    lines = markdown.splitlines()
    previous = ""
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2).lower()
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        marker = NOT_RUN.fullmatch(previous)
        code = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(index + 1, language, code, marker.group(1) if marker else None))
        previous = ""
        index = end + 1
    return found


def runnable(markdown: str) -> list[Block]:
    return [block for block in blocks(markdown) if block.language in RUNNERS and block.not_run is None]


def test_blocks_are_parsed_in_order_with_markers() -> None:
    text = (
        "intro\n```sh\necho one\n```\n\n<!-- not-run: starts a server -->\n```sh\nmake serve\n```\n"
        "```ini\n[profile x]\n```\n````python\nprint('```')\n````\n"
    )
    found = blocks(text)
    assert [(b.line, b.language, b.not_run) for b in found] == [
        (2, "sh", None),
        (7, "sh", "starts a server"),
        (10, "ini", None),
        (13, "python", None),
    ]
    assert found[3].code == "print('```')\n"
    assert [b.line for b in runnable(text)] == [2, 13]


def test_not_run_blocks_say_why_and_are_few() -> None:
    skipped = [b for b in blocks(README.read_text()) if b.language in RUNNERS and b.not_run is not None]
    assert all(b.not_run for b in skipped), [b.line for b in skipped if not b.not_run]
    assert len(skipped) <= len(runnable(README.read_text())), "most examples must run"


def clis() -> list[Any]:
    return [Path(sys.executable).parent / "aws", *extra_clis()]


def clean_environment(home: Path, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HEADWATER_"))}
    env.update(
        HOME=str(home), PATH=os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    )
    return env


def read_env(dump: Path) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k not in {"_", "SHLVL", "OLDPWD"}}


@pytest.mark.parametrize("aws", clis(), ids=lambda path: f"aws={path}")
def test_readme_runs_top_to_bottom(aws: Path, tmp_path: Path) -> None:
    if not aws.exists():
        pytest.fail(f"no AWS CLI at {aws}")
    data_dir, home, work, bin_dir = (tmp_path / name for name in ("data", "home", "work", "bin"))
    for folder in (data_dir, home, work, bin_dir):
        folder.mkdir()
    (bin_dir / "aws").symlink_to(aws)
    server = Server(data_dir).start()  # the defaults, as `make serve` runs it
    try:
        shell_env = clean_environment(home, bin_dir)
        python_env = dict(shell_env)
        cwd = work
        # the README's second server (4567) gets a free port too: the test runs once per CLI, in parallel
        second = free_port()
        for block in runnable(README.read_text()):
            code = re.sub(r"(localhost|127\.0\.0\.1):4566\b", rf"\1:{server.port}", block.code)
            code = re.sub(r"(localhost:|127\.0\.0\.1:|--port )4567\b", rf"\g<1>{second}", code)
            state = tmp_path / f"state-{block.line}"
            if RUNNERS[block.language] == "bash":
                script = f"set -eo pipefail\n{code}\nenv -0 > '{state}.env'\npwd > '{state}.cwd'\n"
                command, env = ["bash", "-c", script], shell_env
            else:
                command, env = [sys.executable, "-c", code], python_env
            try:
                done = subprocess.run(
                    command, cwd=cwd, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT
                )
            except subprocess.TimeoutExpired as timeout:
                pytest.fail(
                    f"README.md line {block.line}: {block.language} block timed out\n{timeout.stdout}",
                    pytrace=False,
                )
            if done.returncode != 0:
                pytest.fail(
                    f"README.md line {block.line}: {block.language} block exited {done.returncode}\n"
                    f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}--- server\n{server.output()[-1500:]}\n"
                    "(a block that cannot run here, e.g. one that starts a server, is marked with a "
                    "`<!-- not-run: reason -->` line right before it)",
                    pytrace=False,
                )
            if RUNNERS[block.language] == "bash":
                shell_env = read_env(Path(f"{state}.env"))
                cwd = Path(Path(f"{state}.cwd").read_text().strip())
    finally:
        server.stop()
