"""The S3 section of bench/RESULTS.md, between its own markers (the SQS section's helpers, other markers).

The Kinesis benchmark rewrites the whole file, so bench/run.sh saves this section before it runs and puts
it back afterwards; the S3 benchmark only ever replaces what is between the markers (or appends them).

    python -m bench.s3_section extract bench/RESULTS.md > saved.md
    python -m bench.s3_section put bench/RESULTS.md < saved.md     # no-op when saved.md is empty
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench import sqs_section

BEGIN = "<!-- s3-bench:begin (written by bench/s3_bench.py) -->"
END = "<!-- s3-bench:end -->"


def write(path: Path, body: str) -> None:
    sqs_section.write(path, body, BEGIN, END)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("extract", "put"):
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[1])
    text = path.read_text() if path.exists() else ""
    if argv[0] == "extract":
        sys.stdout.write(sqs_section.extract(text, BEGIN, END))
    else:
        section = sys.stdin.read().strip()
        if section and sqs_section.extract(text, BEGIN, END) != section:
            path.write_text(sqs_section.put(text, section, BEGIN, END))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
