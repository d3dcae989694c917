"""Which files of an init folder are scripts, how each is started, and what environment it gets."""

from __future__ import annotations

import sys
from pathlib import Path

from headwater.seeding.scripts import command, environment, scripts_in


def test_scripts_are_executables_and_sh_or_py_files_in_name_order(tmp_path: Path) -> None:
    for name in ("20-b.py", "10-a.sh", "README.md", "seed.toml", ".hidden.sh", "30-tool"):
        (tmp_path / name).write_text("")
    (tmp_path / "30-tool").chmod(0o755)
    (tmp_path / "40-dir.sh").mkdir()
    assert [path.name for path in scripts_in(tmp_path)] == ["10-a.sh", "20-b.py", "30-tool"]


def test_commands_by_kind(tmp_path: Path) -> None:
    shell, python, tool = tmp_path / "a.sh", tmp_path / "b.py", tmp_path / "c.sh"
    for path in (shell, python, tool):
        path.write_text("")
    tool.chmod(0o755)
    assert command(shell) == ["sh", str(shell.resolve())]
    assert command(python) == [sys.executable, str(python.resolve())]
    assert command(tool) == [str(tool.resolve())]


def test_environment_points_the_sdks_at_the_server() -> None:
    env = environment("http://127.0.0.1:4566", "eu-west-1", {"PATH": "/bin", "AWS_PROFILE": "prod"})
    assert env == {
        "PATH": "/bin",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
