"""The modules the other Firehose branches provide, under the names the service imported while
they were being built: naming and compression (fh-naming) and the processing pipeline (fh-proc).
Importing them from their own modules directly is the next clean-up."""

from __future__ import annotations

from headwater.services.firehose.compression import Compressor, content_encoding
from headwater.services.firehose.naming import evaluate, extension, object_name, validate_prefixes
from headwater.services.firehose.processing.pipeline import process

__all__ = [
    "Compressor",
    "content_encoding",
    "evaluate",
    "extension",
    "object_name",
    "process",
    "validate_prefixes",
]
