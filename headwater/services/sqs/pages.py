"""Pagination of queue URL lists (ListQueues, ListDeadLetterSourceQueues): opaque NextTokens that
name the last item returned, so a page stays correct when queues come and go between calls."""

from __future__ import annotations

import base64
import json
from typing import Any

from headwater.services.sqs import errors


def paginate(items: list[str], params: dict[str, Any]) -> tuple[list[str], str | None]:
    """A page of sorted items; NextToken only when MaxResults was given (as AWS does)."""
    limit = params.get("MaxResults")
    token = params.get("NextToken")
    start = 0
    if token:
        try:
            after = json.loads(base64.b64decode(token, validate=True))["after"]
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_parameter("Invalid NextToken value.") from None
        start = next((i for i, item in enumerate(items) if item > after), len(items))
    if limit is None:
        return items[start : start + 1000], None
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise errors.invalid_value("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_token = (
        base64.b64encode(json.dumps({"after": page[-1]}).encode()).decode() if more and page else None
    )
    return page, next_token
