"""Batch entries: the per-entry failure form of an error."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.protocol.query_compat import overlay


def entry_error(entry_id: str, error: AwsError) -> dict[str, Any]:
    """A BatchResultErrorEntry: batch entries carry the Query-dialect code in both protocols."""
    compat = overlay("sqs")
    spec = compat.error(error.code) if compat is not None else None
    return {
        "Id": entry_id,
        "SenderFault": spec.sender_fault if spec is not None else error.sender_fault,
        "Code": spec.query_code if spec is not None else error.code,
        "Message": error.message,
    }
