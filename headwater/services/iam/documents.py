"""Policy documents: the checks IAM makes before storing one, and how responses carry them.

IAM keeps a document as the text it was given and returns it URL-encoded (RFC 3986 percent
escapes, as AWS does; boto3 and the AWS CLI decode it). The checks are structural only: the text is
a JSON object with a ``Statement`` (an object or a non-empty list of objects) and, when present, a
``Version`` IAM knows. A missing Version is accepted, as AWS accepts it (it then means the 2008-10-17
policy language). Nothing here evaluates permissions.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from headwater.services.iam import errors

VERSIONS = ("2012-10-17", "2008-10-17")


def check(document: str) -> dict[str, Any]:
    """The parsed document; raises MalformedPolicyDocument when IAM would refuse it."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise errors.malformed("This policy contains invalid Json") from None
    if not isinstance(parsed, dict):
        raise errors.malformed("This policy contains invalid Json")
    version = parsed.get("Version")
    if version is not None and version not in VERSIONS:
        raise errors.malformed("The policy must contain a valid version string")
    statement = parsed.get("Statement")
    if statement is None:
        raise errors.malformed("Syntax errors in policy.")
    statements = statement if isinstance(statement, list) else [statement]
    if not statements or not all(isinstance(item, dict) for item in statements):
        raise errors.malformed("Syntax errors in policy.")
    for item in statements:
        if item.get("Effect") not in ("Allow", "Deny"):
            raise errors.malformed("Syntax errors in policy.")
    return parsed


def encoded(document: str) -> str:
    return quote(document, safe="")


def trusts(document: str, service: str) -> bool:
    """Whether a trust policy lets `service` (``lambda.amazonaws.com``) assume the role: an Allow
    statement with sts:AssumeRole (or a wildcard) whose principal names the service or ``*``."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return False
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    for item in statements if isinstance(statements, list) else [statements]:
        if not isinstance(item, dict) or item.get("Effect") != "Allow":
            continue
        actions = _listed(item.get("Action"))
        if not any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions):
            continue
        principal = item.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and service in _listed(principal.get("Service"))):
            return True
    return False


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
