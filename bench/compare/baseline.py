"""The baseline tree: REF checked out in a git worktree under bench/.scratch/ (git-ignored), removed after.

Headwater runs from a checkout with `python -m headwater` and that checkout as cwd, which imports the
checkout's own package (the cwd comes first on sys.path); `imported_from` checks that it does. Both trees
share the project's venv, so only Headwater's own code differs. An older tree may lack a `serve` flag the
current one has: `serve_flags` reads each tree's `--help`, and both servers get only the flags both know,
so they run with the same settings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bench.common.servers import BENCH, HEADWATER_PYTHON, REPO

SCRATCH = BENCH / ".scratch"
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _git(*args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO, timeout=300)
    if check and done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout.strip()


def resolve(ref: str) -> str:
    """The full commit id REF names."""
    return _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")


def describe(commit: str) -> str:
    """Short id and subject, for the results."""
    return _git("log", "-1", "--format=%h %s", commit)


class Checkout:
    """`git worktree add --detach` of a commit under bench/.scratch/; `remove` takes it away again."""

    def __init__(self, commit: str) -> None:
        self.commit = commit
        self.path = SCRATCH / f"baseline-{commit[:12]}"

    def add(self) -> Path:
        self.remove()  # a leftover from an interrupted run
        SCRATCH.mkdir(parents=True, exist_ok=True)
        # --force: the path may still be registered from an interrupted run whose directory is gone.
        _git("worktree", "add", "--force", "--detach", str(self.path), self.commit)
        return self.path

    def remove(self) -> None:
        if self.path.exists():
            _git("worktree", "remove", "--force", str(self.path), check=False)
        if self.path.exists():  # not a registered worktree (any more): just files
            shutil.rmtree(self.path, ignore_errors=True)


def _python(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HEADWATER_PYTHON), *args], capture_output=True, text=True, cwd=checkout, timeout=120
    )


def imported_from(checkout: Path) -> str:
    """The directory `import headwater` loads from with cwd `checkout` (it must be the checkout's)."""
    done = _python(checkout, "-c", "import headwater, os; print(os.path.dirname(headwater.__file__))")
    if done.returncode:
        raise RuntimeError(f"headwater does not import in {checkout}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def serve_flags(checkout: Path) -> set[str]:
    """The flags `python -m headwater serve` takes in `checkout`, from its --help."""
    done = _python(checkout, "-m", "headwater", "serve", "--help")
    if done.returncode:
        raise RuntimeError(f"`headwater serve --help` failed in {checkout}: {done.stderr.strip()[-300:]}")
    return set(_FLAG.findall(done.stdout)) - {"--help"}
