"""Bucket policy documents: their checks (PutBucketPolicy's MalformedPolicy) and their evaluation.

Theory of operation
-------------------
A caller is known only by its account (the SigV4 access key picks it), so it is that account's
root: a Principal names it by "*", {"AWS": "*"}, the 12-digit account id, its root ARN
(arn:aws:iam::<account>:root) or its canonical user id. A user or role ARN of the account cannot
be told apart from the account here, so, on the safe side, it matches for a Deny and not for an
Allow.

`evaluate` answers which effects apply: the caller gets "deny" when a Deny statement applies,
"allow" when an Allow does and no Deny. Conditions are evaluated from a context of keys
(aws:PrincipalAccount, aws:PrincipalArn, aws:CurrentTime... and whatever the gateway knows, such
as aws:SecureTransport and aws:SourceIp). A condition that cannot be evaluated (an operator this
module does not know, a key that AWS would always have but the context lacks) is "unknown": an
Allow with an unknown condition does not apply, and a Deny with one applies to everybody but the
bucket owner. So unknown conditions never grant access, never lock the owner out, and always
fence other accounts off.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import s3_error

VERSIONS = ("2012-10-17", "2008-10-17")
MAX_POLICY_BYTES = 20 * 1024
_ACCOUNT = re.compile(r"\d{12}")
_IAM_ARN = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):(.+)")
# keys every request has on AWS: when the context lacks one, its condition is unknown, not false
_ALWAYS_PRESENT = frozenset(
    {
        "aws:securetransport",
        "aws:sourceip",
        "aws:currenttime",
        "aws:epochtime",
        "aws:principaltype",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:userid",
        "aws:requestedregion",
        "aws:useragent",
    }
)


def malformed(message: str) -> AwsError:
    return s3_error("MalformedPolicy", message)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- checks ---------------------------------------------------------------------------------------


def parse_policy(
    text: str, bucket: str, object_actions: frozenset[str], bucket_actions: frozenset[str]
) -> None:
    """Checks a bucket policy as PutBucketPolicy does (MalformedPolicy with S3's messages)."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise malformed("Policy exceeds the maximum allowed document size.")
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise malformed("Policies must be valid JSON and the first byte must be '{'")
    if "Version" in document and document["Version"] not in VERSIONS:
        raise malformed("The policy must contain a valid version string")
    statements = document.get("Statement")
    if not statements:
        raise malformed("Missing required field Statement")
    for statement in _listed(statements):
        if not isinstance(statement, dict):
            raise malformed("Statement is not well formatted")
        _check_statement(statement, bucket, object_actions, bucket_actions)


def _check_statement(
    statement: Mapping[str, Any], bucket: str, object_actions: frozenset[str], bucket_actions: frozenset[str]
) -> None:
    effect = statement.get("Effect")
    if effect is None:
        raise malformed("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise malformed(f"Invalid effect: {effect}")
    principal = statement.get("Principal", statement.get("NotPrincipal"))
    if principal is None or principal == {} or principal == []:
        raise malformed("Missing required field Principal")
    if not _valid_principal(principal):
        raise malformed("Invalid principal in policy")
    actions = statement.get("Action", statement.get("NotAction"))
    if not actions:
        raise malformed("Missing required field Action")
    for action in _listed(actions):
        if not isinstance(action, str) or not (action == "*" or action.lower().startswith("s3:")):
            raise malformed("Policy has invalid action")
    resources = statement.get("Resource", statement.get("NotResource"))
    if not resources:
        raise malformed("Missing required field Resource")
    for resource in _listed(resources):
        if not isinstance(resource, str) or not _resource_of_bucket(resource, bucket):
            raise malformed("Policy has invalid resource")
    condition = statement.get("Condition")
    if condition is not None and not (
        isinstance(condition, dict) and all(isinstance(block, dict) for block in condition.values())
    ):
        raise malformed("Condition is not well formatted")
    if "Action" in statement and "Resource" in statement:
        _check_applies(_listed(actions), _listed(resources), object_actions, bucket_actions)


def _valid_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for kind, values in principal.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            return False
        for value in _listed(values):
            if not isinstance(value, str) or not value:
                return False
            if (
                kind == "AWS"
                and value != "*"
                and not (_ACCOUNT.fullmatch(value) or _IAM_ARN.fullmatch(value))
            ):
                return False
    return True


def _resource_of_bucket(resource: str, bucket: str) -> bool:
    """An S3 ARN that can name this bucket or objects in it (wildcards allowed)."""
    if resource == "*":
        return True
    if not resource.startswith("arn:aws:s3:::"):
        return False
    path = resource.removeprefix("arn:aws:s3:::")
    name = path.split("/", 1)[0]
    return bool(name) and glob_match(name, bucket)


def _check_applies(
    actions: Sequence[str],
    resources: Sequence[str],
    object_actions: frozenset[str],
    bucket_actions: frozenset[str],
) -> None:
    """S3 refuses a statement none of whose actions can apply to any of its resources."""
    kinds = set()
    for resource in resources:
        kinds |= {"object", "bucket"} if resource == "*" else {"object" if "/" in resource else "bucket"}
    for action in actions:
        objects = any(glob_match(action, known, fold=True) for known in object_actions)
        buckets = any(glob_match(action, known, fold=True) for known in bucket_actions)
        unknown = not objects and not buckets
        if unknown or (objects and "object" in kinds) or (buckets and "bucket" in kinds):
            return
    raise malformed("Action does not apply to any resource(s) in statement")


# -- matching -------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _glob(pattern: str, fold: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, (re.IGNORECASE | re.DOTALL) if fold else re.DOTALL)


def glob_match(pattern: str, text: str, *, fold: bool = False) -> bool:
    """IAM wildcards: `*` any run of characters, `?` any one character."""
    return _glob(pattern, fold).fullmatch(text) is not None


def principal_matches(principal: Any, account: str, canonical: str, *, for_deny: bool) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for value in _listed(principal.get("AWS", [])):
        if value in ("*", account, f"arn:aws:iam::{account}:root"):
            return True
        arn = _IAM_ARN.fullmatch(str(value))
        if for_deny and arn is not None and arn.group(1) == account:
            return True  # a user or role of the account: it may be the caller
    return canonical in _listed(principal.get("CanonicalUser", []))


def is_public_statement(statement: Mapping[str, Any]) -> bool:
    """An Allow for anybody that no fixed-value condition narrows (S3's meaning of "public")."""
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    anybody = principal == "*" or (
        isinstance(principal, Mapping) and "*" in _listed(principal.get("AWS", []))
    )
    if not anybody:
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        if "Not" in operator or "IfExists" in operator:
            continue
        for key, values in block.items():
            if key.lower() in _NARROWING and all(
                "*" not in str(v) and "?" not in str(v) for v in _listed(values)
            ):
                return False
    return True


_NARROWING = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)


# -- conditions -----------------------------------------------------------------------------------


def conditions_hold(condition: Mapping[str, Any] | None, context: Mapping[str, str]) -> bool | None:
    """True when every condition holds, False when one fails, None when one cannot be evaluated."""
    result: bool | None = True
    for operator, block in (condition or {}).items():
        for key, expected in block.items():
            outcome = _condition(operator, key.lower(), [str(v) for v in _listed(expected)], context)
            if outcome is False:
                return False
            if outcome is None:
                result = None
    return result


_STRING_OPS = {
    "StringEquals": (False, False, False),  # (negated, ignore case, like)
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, True, False),
    "StringNotEqualsIgnoreCase": (True, True, False),
    "StringLike": (False, False, True),
    "StringNotLike": (True, False, True),
    "ArnEquals": (False, False, True),
    "ArnLike": (False, False, True),
    "ArnNotEquals": (True, False, True),
    "ArnNotLike": (True, False, True),
}
_NUMERIC_OPS = {
    "NumericEquals": lambda a, b: a == b,
    "NumericNotEquals": lambda a, b: a != b,
    "NumericLessThan": lambda a, b: a < b,
    "NumericLessThanEquals": lambda a, b: a <= b,
    "NumericGreaterThan": lambda a, b: a > b,
    "NumericGreaterThanEquals": lambda a, b: a >= b,
}


def _condition(operator: str, key: str, expected: list[str], context: Mapping[str, str]) -> bool | None:
    operator = operator.split(":", 1)[-1]  # ForAnyValue:/ForAllValues: on our single-valued keys
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    value = context.get(key)
    if operator == "Null":
        return (value is None) == (expected[0].lower() == "true")
    if value is None:
        if key in _ALWAYS_PRESENT or key.startswith("s3:"):
            return None
        # an absent key matches nothing; negated operators then hold, as on AWS
        return True if if_exists else operator in _NEGATED
    if operator in _STRING_OPS:
        negated, fold, like = _STRING_OPS[operator]
        if like:
            hit = any(glob_match(pattern, value, fold=fold) for pattern in expected)
        elif fold:
            hit = value.lower() in (e.lower() for e in expected)
        else:
            hit = value in expected
        return hit != negated
    if operator == "Bool":
        return value.lower() in (e.lower() for e in expected)
    if operator in ("IpAddress", "NotIpAddress"):
        try:
            address = ipaddress.ip_address(value)
            hit = any(address in ipaddress.ip_network(e, strict=False) for e in expected)
        except ValueError:
            return None
        return hit != (operator == "NotIpAddress")
    if operator in _NUMERIC_OPS:
        try:
            return any(_NUMERIC_OPS[operator](float(value), float(e)) for e in expected)
        except ValueError:
            return None
    return None  # Date*, Binary... not evaluated


_NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NotIpAddress",
        "NumericNotEquals",
    }
)


# -- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    account: str
    canonical: str
    owner: bool  # the caller owns the bucket
    action: str
    resource: str
    context: Mapping[str, str]
    restrict_public: bool = False  # RestrictPublicBuckets: public statements grant no other account


@lru_cache(maxsize=256)
def _statements(text: str) -> tuple[Mapping[str, Any], ...]:
    return tuple(_listed(json.loads(text).get("Statement") or []))


def evaluate(text: str | None, request: Request) -> str | None:
    """ "deny", "allow" or None (no statement applies)."""
    if not text:
        return None
    allowed = False
    for statement in _statements(text):
        deny = statement.get("Effect") == "Deny"
        if not _applies(statement, request, deny):
            continue
        held = conditions_hold(statement.get("Condition"), request.context)
        if deny and (held or (held is None and not request.owner)):
            return "deny"
        if not deny and held:
            if request.restrict_public and not request.owner and is_public_statement(statement):
                continue
            allowed = True
    return "allow" if allowed else None


def _applies(statement: Mapping[str, Any], request: Request, deny: bool) -> bool:
    if "Principal" in statement:
        if not principal_matches(statement["Principal"], request.account, request.canonical, for_deny=deny):
            return False
    elif principal_matches(statement.get("NotPrincipal"), request.account, request.canonical, for_deny=False):
        return False
    if "Action" in statement:
        if not any(glob_match(a, request.action, fold=True) for a in _listed(statement["Action"])):
            return False
    elif any(glob_match(a, request.action, fold=True) for a in _listed(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        return any(glob_match(r, request.resource) for r in _listed(statement["Resource"]))
    return not any(glob_match(r, request.resource) for r in _listed(statement.get("NotResource", [])))


def is_public_policy(text: str | None) -> bool:
    return bool(text) and any(is_public_statement(s) for s in _statements(text or "{}"))
