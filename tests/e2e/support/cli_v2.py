"""The AWS CLIs the tests run besides the venv's v1, as pytest parameters:

- HEADWATER_AWS_CLI_V2: the AWS CLI v2 that `make test` builds with tests/tools/awscli_v2.py (and
  names here). When it could not be built (offline, say), its tests skip, quoting the reason that
  script left beside it in `unavailable`.
- HEADWATER_README_AWS: any other CLIs (paths separated by `:`), which must exist; the README runs with
  each, and the v2 ones among them also run the v2-only tests.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

V2_VARIABLE = "HEADWATER_AWS_CLI_V2"
EXTRA_VARIABLE = "HEADWATER_README_AWS"


def _built_v2() -> list[Any]:
    named = os.environ.get(V2_VARIABLE)
    if not named:
        return []
    path = Path(named)
    if path.exists():
        return [path]
    note = path.parent / "unavailable"
    why = note.read_text().strip() if note.exists() else "not built"
    return [pytest.param(path, marks=pytest.mark.skip(reason=f"no AWS CLI v2 at {path}: {why}"))]


def _named() -> list[Path]:
    return [Path(p) for p in os.environ.get(EXTRA_VARIABLE, "").split(os.pathsep) if p]


def extra_clis() -> list[Any]:
    """Every CLI to run the README with besides v1: the built v2, then the named ones."""
    built = _built_v2()
    return built + [path for path in _named() if path not in built]


def v2_clis() -> list[Any]:
    """The AWS CLIs v2 to run v2-only commands with; one skipped parameter when there is none."""
    found = _built_v2()
    for path in _named():
        if path in found:
            continue
        done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
        if (done.stdout + done.stderr).startswith("aws-cli/2"):
            found.append(path)
    reason = f"no AWS CLI v2: `make test` builds one and names it in {V2_VARIABLE}"
    return found or [pytest.param(Path("aws"), marks=pytest.mark.skip(reason=reason))]
