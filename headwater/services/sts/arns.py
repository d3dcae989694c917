"""ARNs of STS principals: the role an AssumeRole names, and the principals sessions act as.

A RoleArn is ``arn:<partition>:iam::<account>:role/<path/><name>``. STS answers a string that is no
ARN at all with ValidationError "<value> is invalid" (recorded from AWS); an ARN of something else
than a role cannot be assumed, so the operation refuses it as AWS refuses a role the caller may not
assume (AccessDenied). The session's ARN drops the role's path:
``arn:<partition>:sts::<account>:assumed-role/<name>/<session>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headwater.protocol.errors import AwsError

_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True, slots=True)
class RoleArn:
    partition: str
    account: str
    name: str  # the last part of the role's path

    def session_arn(self, session_name: str) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/{session_name}"


def parse_role_arn(value: str) -> RoleArn | None:
    """The role `value` names; None for an ARN of anything else. Raises ValidationError for no ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise AwsError("ValidationError", f"{value} is invalid")
    _, partition, service, region, account, resource = parts
    kind, _, path = resource.partition("/")
    name = path.rsplit("/", 1)[-1]
    if service != "iam" or region or not _ACCOUNT.fullmatch(account) or kind != "role" or not name:
        return None
    return RoleArn(partition, account, name)


def not_authorized(caller_arn: str, action: str, resource: str) -> AwsError:
    return AwsError(
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}",
        403,
    )


def root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def federated_user_arn(account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:federated-user/{name}"
