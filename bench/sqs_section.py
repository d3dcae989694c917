"""The SQS section of bench/RESULTS.md: between two markers, so either benchmark can rewrite its own part.

The Kinesis benchmark writes the whole file; bench/run.sh saves the SQS section before it runs and puts it
back afterwards (`extract` / `put`). The SQS benchmark only ever replaces what is between the markers
(appending the section if the file has none).

    python -m bench.sqs_section extract bench/RESULTS.md > saved.md
    python -m bench.sqs_section put bench/RESULTS.md < saved.md     # no-op when saved.md is empty
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN = "<!-- sqs-bench:begin (written by bench/sqs_bench.py) -->"
END = "<!-- sqs-bench:end -->"


def extract(text: str, begin: str = BEGIN, end: str = END) -> str:
    """The section with its markers, or "" when there is none (other benchmarks pass their own markers)."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        return ""
    return text[start : stop + len(end)]


def put(text: str, section: str, begin: str = BEGIN, end: str = END) -> str:
    """`text` with its section replaced by `section` (markers included), or with it appended."""
    if not section:
        return text
    current = extract(text, begin, end)
    if current:
        return text.replace(current, section, 1)
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + section + "\n"


def wrap(body: str, begin: str = BEGIN, end: str = END) -> str:
    return f"{begin}\n{body.rstrip()}\n{end}"


def write(path: Path, body: str, begin: str = BEGIN, end: str = END) -> None:
    old = path.read_text() if path.exists() else ""
    path.write_text(put(old, wrap(body, begin, end), begin, end))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("extract", "put"):
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[1])
    text = path.read_text() if path.exists() else ""
    if argv[0] == "extract":
        sys.stdout.write(extract(text))
    else:
        section = sys.stdin.read().strip()
        if section and extract(text) != section:
            path.write_text(put(text, section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
