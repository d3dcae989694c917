"""Function names as the API takes them: a name, a partial ARN or a full ARN, with a qualifier."""

from __future__ import annotations

import re

from headwater.services.functions import errors

_FORMS = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"|(?P<partial>\d{12}):function:)?(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)


def function_name(value: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """(name, qualifier) of a FunctionName parameter; a qualifier in both places must agree."""
    found = _FORMS.fullmatch(value)
    if found is None or len(found["name"]) > 64:
        raise errors.invalid(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
            "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    embedded = found["qualifier"]
    if embedded and qualifier and embedded != qualifier:
        raise errors.invalid(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return found["name"], embedded or qualifier
