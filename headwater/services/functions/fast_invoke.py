"""Invoke's fast path: the raw body is the payload, the payload is the raw answer.

The generic REST-JSON codec costs more than the rest of a warm invoke's server time (parsing the
request against the model, checking it, serialising the answer's headers member by member). This
path reads the common request by hand: a plain function name (no ARN, no qualifier in the query),
the invocation and log types Lambda knows, no client context. Anything else returns None, and the
generic path answers it, so every validation and error stays the model's. Both call the same
`invoke_api.invoke` and render its answer the same way (tests/services/functions compare them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from headwater.services.base import RestAnswer, RestFastPath
from headwater.services.context import RequestContext
from headwater.services.functions.invoke_api import invoke
from headwater.services.functions.service import FunctionsCore

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KINDS = frozenset({"RequestResponse", "Event", "DryRun"})
_LOG_TYPES = frozenset({"None", "Tail"})
# answer members -> their headers, in the order the generic codec writes them
_HEADERS = (
    ("ExecutedVersion", "X-Amz-Executed-Version"),
    ("FunctionError", "X-Amz-Function-Error"),
    ("LogResult", "X-Amz-Log-Result"),
)


def params_of(
    labels: Mapping[str, str], query: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any] | None:
    """Invoke's params when the request has the common shape, else None."""
    name = labels.get("FunctionName", "")
    if query or not _PLAIN_NAME.fullmatch(name) or "x-amz-client-context" in headers:
        return None
    params: dict[str, Any] = {"FunctionName": name}
    kind = headers.get("x-amz-invocation-type")
    if kind is not None:
        if kind not in _KINDS:
            return None
        params["InvocationType"] = kind
    log_type = headers.get("x-amz-log-type")
    if log_type is not None:
        if log_type not in _LOG_TYPES:
            return None
        params["LogType"] = log_type
    if body:
        params["Payload"] = body
    return params


def render(answer: Mapping[str, Any]) -> RestAnswer:
    headers = [(header, answer[member]) for member, header in _HEADERS if member in answer]
    payload = answer.get("Payload")
    if payload:  # the generic codec writes no type for an empty payload
        headers.append(("Content-Type", "application/octet-stream"))
    return answer["StatusCode"], headers, payload or b""


def fast_invoke(core: FunctionsCore) -> RestFastPath:
    async def handle(
        labels: Mapping[str, str], query: str, headers: Mapping[str, str], body: bytes, ctx: RequestContext
    ) -> RestAnswer | None:
        params = params_of(labels, query, headers, body)
        if params is None:
            return None
        return render(await invoke(core, params, ctx))

    return handle
