"""Every vector the conformance test does not run, each with its reason: the one place to look.

Only client-only behaviour belongs here (what a client SDK adds to a request or how it reads a
response, which a server cannot show): anything else that fails is a codec bug to fix.
"""

from __future__ import annotations

from typing import Any

# The vector files run, by stem; ec2.json is left out whole: EC2's Query dialect is not a
# protocol Headwater serves (no EC2 service planned).
FILES = (
    "json",
    "json_1_0",
    "json_1_0-query-compatible",
    "query",
    "rest-json",
    "rest-xml",
    "smithy-rpc-v2-cbor",
    "smithy-rpc-v2-cbor-query-compatible",
    "smithy-rpc-v2-cbor-non-query-compatible",
)
SKIPPED_FILES = {"ec2": "EC2 Query dialect: no Headwater service speaks it"}

# test id ("<file>:<input|output>:<case id>") -> reason
_QUERY_MAP = (
    "client-only: botocore leaves out of an httpQueryParams map the keys bound to another member, "
    "so the map cannot be rebuilt from the request; Smithy's REST-JSON server tests (and "
    "RestJsonAllQueryStringTypes, RestJsonZeroAndFalseQueryValues here) give the map every pair"
)
_QUERY_NAN = (
    "deliberate: the Query codec refuses NaN/Infinity, as AWS SQS answers InvalidParameterValue "
    "for them (tests/protocol/test_query_codec.py pins it); Query output writes them fine"
)
EXCLUDED: dict[str, str] = {
    "query:input:AwsQuerySupportsNaNFloatInputs": _QUERY_NAN,
    "query:input:AwsQuerySupportsInfinityFloatInputs": _QUERY_NAN,
    "query:input:AwsQuerySupportsNegativeInfinityFloatInputs": _QUERY_NAN,
    "rest-json:input:RestJsonQueryParamsStringListMap": _QUERY_MAP,
}


def reason(test_id: str, suite: str, ignore: dict[str, Any]) -> str | None:
    """Why `test_id` is excluded, or None when it must pass. `ignore` is botocore's own list
    (``protocol-tests-ignore-list.json`` in the sdist): cases botocore's client fails by design."""
    if test_id in EXCLUDED:
        return EXCLUDED[test_id]
    file, kind, case = test_id.split(":", 2)
    general = ignore.get("general", {}).get(kind, {})
    specific = ignore.get("protocols", {}).get(file, {}).get(kind, {})
    for listing in (general, specific):
        if suite in listing.get("suites", ()) or case in listing.get("cases", ()):
            return "in botocore's protocol-tests-ignore-list.json (botocore's client does not do it)"
    return None
