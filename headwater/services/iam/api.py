"""The IAM operations the services around a function need (roles and managed policies)."""

from __future__ import annotations

from headwater.services.iam import attachments, policies, roles
from headwater.services.iam.core import IamCore
from headwater.services.operations import ServiceApi

OPERATIONS = {**roles.OPERATIONS, **attachments.OPERATIONS, **policies.OPERATIONS}


def iam_api(core: IamCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
