"""The built-in (non-Lambda) processing stages of a delivery stream; each takes records and its
processor's parameters and returns a `Processed` (records that go on, failures for the error
output). `pipeline.py` runs them in AWS's order."""

from __future__ import annotations

from collections.abc import Mapping


def sub_record_id(record_id: str, index: int) -> str:
    """The id of the `index`th record split out of `record_id` (stable, so a re-read after a
    restart names the same sub-records)."""
    return f"{record_id}.{index}"


def param(params: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """A processor parameter, ParameterName matched exactly as AWS does."""
    value = params.get(name)
    return value if value is not None else default
