"""bench/RESULTS.md is shared: each benchmark rewrites only its own part, so any of them can run alone.

The Kinesis part is the head of the file, up to the first marked section; every other part sits between
its own markers (`<!-- NAME-bench:begin ... -->` ... `<!-- NAME-bench:end -->`). Writing a section
replaces what is between its markers, or appends it; writing the head keeps everything from the first
marked section on (the sections and any notes after them). Markers are found by their start, so the
text after `begin` may change without losing a section.
"""

from __future__ import annotations

import re
from pathlib import Path

_ANY_BEGIN = re.compile(r"<!-- [a-z0-9_]+-bench:begin")


def begin(name: str) -> str:
    return f"<!-- {name}-bench:begin (written by python -m bench.{name}) -->"


def end(name: str) -> str:
    return f"<!-- {name}-bench:end -->"


def _span(text: str, name: str) -> tuple[int, int] | None:
    start = text.find(f"<!-- {name}-bench:begin")
    stop = text.find(end(name), start)
    if start < 0 or stop < 0:
        return None
    return start, stop + len(end(name))


def extract(text: str, name: str) -> str:
    """The section with its markers, or "" when there is none."""
    span = _span(text, name)
    return text[span[0] : span[1]] if span else ""


def put(text: str, name: str, section: str) -> str:
    """`text` with its `name` section replaced by `section` (markers included), or with it appended."""
    span = _span(text, name)
    if span:
        return text[: span[0]] + section + text[span[1] :]
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + section + "\n"


def write(path: Path, name: str, body: str) -> None:
    """Replace (or append) the `name` section of the file at `path`; the rest stays as it is."""
    old = path.read_text() if path.exists() else ""
    path.write_text(put(old, name, f"{begin(name)}\n{body.rstrip()}\n{end(name)}"))


def write_head(path: Path, body: str) -> None:
    """Replace the head of the file (everything before the first marked section) with `body`."""
    old = path.read_text() if path.exists() else ""
    first = _ANY_BEGIN.search(old)
    path.write_text(body.rstrip("\n") + "\n\n" + old[first.start() :] if first else body)
