"""A first check of policy documents: JSON, the statement grammar, the size limit. The policy
engine (`iot/authz/`) parses them fully; the core may hand its check to the part
(`SecurityPart.policy_check`), run after this one."""

from __future__ import annotations

import json
import re
from typing import Any

from headwater.services.iot.security import errors

MAX_CHARS = 2048  # AWS IoT's quota: characters of a policy document, whitespace not counted
_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")


def _strings(value: Any, what: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise errors.malformed(f"{what} must be a non-empty string or a list of non-empty strings.")
    return list(values)


def _statement(statement: Any) -> None:
    if not isinstance(statement, dict):
        raise errors.malformed("Invalid policy syntax.")
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise errors.malformed(f"Unknown field {sorted(unknown)[0]} in statement.")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise errors.malformed("Effect must be Allow or Deny.")
    if ("Action" in statement) == ("NotAction" in statement):
        raise errors.malformed("A statement needs one of Action or NotAction.")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise errors.malformed("A statement needs one of Resource or NotResource.")
    name = "Action" if "Action" in statement else "NotAction"
    bad = [a for a in _strings(statement[name], name) if not _ACTION.match(a)]
    if bad:
        raise errors.malformed(f"The following actions are invalid : {', '.join(bad)}")
    name = "Resource" if "Resource" in statement else "NotResource"
    bad = [r for r in _strings(statement[name], name) if r != "*" and not r.startswith("arn:")]
    if bad:
        raise errors.malformed(f"The following resources are invalid : {', '.join(bad)}")
    condition = statement.get("Condition")
    if condition is not None and not (
        isinstance(condition, dict) and all(isinstance(block, dict) for block in condition.values())
    ):
        raise errors.malformed("Condition must map operators to {key: value(s)}.")


def check(text: str, limits: bool = True) -> None:
    """Raises MalformedPolicyException when `text` is not a policy document."""
    if limits and sum(1 for ch in text if not ch.isspace()) > MAX_CHARS:
        raise errors.malformed(
            f"The policy document exceeds {MAX_CHARS} characters (whitespace not counted)."
        )
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise errors.malformed("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise errors.malformed("Invalid policy syntax.")
    unknown = set(document) - {"Version", "Statement", "Id"}
    if unknown:
        raise errors.malformed(f"Unknown field {sorted(unknown)[0]}.")
    if "Version" in document and document["Version"] not in _VERSIONS:
        raise errors.malformed(f"Invalid Version {document['Version']!r}.")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise errors.malformed("The policy needs at least one statement.")
    for statement in statements:
        _statement(statement)
