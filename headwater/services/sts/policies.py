"""Session policies and tags: checked enough to refuse what AWS refuses, sized as AWS reports.

A session policy must be JSON: AWS parses it with Jackson and answers MalformedPolicyDocument with
the parser's own words (``Unexpected character ('i' (code 105)): expected a valid value ...``,
recorded from AWS in ansible-collections/amazon.aws#2778); the common case, a value that is no JSON
at all, is worded as Jackson words it. Headwater enforces no IAM policy, so nothing more is checked.

PackedPolicySize is "a percentage value that indicates the packed size of the session policies and
session tags combined" (the API reference); AWS's packing is not public, so it is estimated from
the compressed size of the policies and tags against the 2,048-character plaintext limit. It is
returned only when the request passed a policy or tags, as AWS does.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

from headwater.protocol.errors import AwsError

PLAINTEXT_LIMIT = 2048


def check_policy(policy: str | None) -> None:
    if policy is None:
        return
    try:
        json.loads(policy)
    except json.JSONDecodeError as exc:
        raise AwsError("MalformedPolicyDocument", _jackson_message(policy, exc)) from None


def _jackson_message(text: str, exc: json.JSONDecodeError) -> str:
    if exc.msg == "Expecting value" and exc.pos < len(text):
        char = text[exc.pos]
        # Jackson reports the column after the offending character, 1-based
        return (
            f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value (number, String, "
            "array, object, 'true', 'false' or 'null')\n"
            f" at [Source: java.io.StringReader; line: {exc.lineno}, column: {exc.colno + 1}]"
        )
    return "Syntax errors in policy."


def packed_policy_size(params: Mapping[str, Any]) -> int | None:
    policy = params.get("Policy")
    arns = [item.get("arn") or "" for item in params.get("PolicyArns") or ()]
    tags = [f"{tag.get('Key', '')}={tag.get('Value', '')}" for tag in params.get("Tags") or ()]
    if policy is None and not arns and not tags:
        return None
    compact = json.dumps(json.loads(policy), separators=(",", ":")) if policy else ""
    packed = zlib.compress("\n".join([compact, *arns, *tags]).encode("utf-8", "surrogatepass"), 9)
    return max(1, min(100, math.ceil(100 * len(packed) / PLAINTEXT_LIMIT)))
