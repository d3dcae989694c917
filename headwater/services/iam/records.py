"""What IAM stores: roles and customer-managed policies, per account (IAM is global: no region).

Role names are unique per account regardless of case, as in IAM (a lookup by any case finds the
role; responses use the name it was created with). Records are JSON in the metadata store.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from headwater.services.iam.documents import encoded

ROLES = "iam.roles"  # "<account>\0<lower-case name>" -> Role
POLICIES = "iam.policies"  # "<account>\0<policy ARN>" -> Policy
_ID_CHARS = string.ascii_uppercase + string.digits


def new_id(prefix: str) -> str:
    """An IAM unique id: AROA... for roles, ANPA... for managed policies (21 characters)."""
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(17))


@dataclass(slots=True)
class Role:
    account: str
    name: str
    path: str
    role_id: str
    created: float  # epoch seconds
    trust: str  # AssumeRolePolicyDocument as given
    description: str | None = None
    max_session: int = 3600
    boundary: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)  # managed policy ARNs, in attach order
    inline: dict[str, str] = field(default_factory=dict)  # policy name -> document

    @property
    def key(self) -> str:
        return role_key(self.account, self.name)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.path}{self.name}"

    def describe(self, *, full: bool = False) -> dict[str, Any]:
        """The Role shape (ListRoles leaves out tags and the last use; GetRole has them)."""
        out: dict[str, Any] = {
            "Path": self.path,
            "RoleName": self.name,
            "RoleId": self.role_id,
            "Arn": self.arn,
            "CreateDate": self.created,
            "AssumeRolePolicyDocument": encoded(self.trust),
        }
        if self.description is not None:
            out["Description"] = self.description
        out["MaxSessionDuration"] = self.max_session
        if self.boundary:
            out["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": self.boundary,
            }
        if full:
            if self.tags:
                out["Tags"] = list(self.tags)
            out["RoleLastUsed"] = {}
        return out


@dataclass(slots=True)
class Version:
    version_id: str
    document: str
    created: float


@dataclass(slots=True)
class Policy:
    account: str
    name: str
    path: str
    policy_id: str
    created: float
    updated: float
    default: str
    next_version: int
    versions: list[Version]
    description: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:policy{self.path}{self.name}"

    @property
    def key(self) -> str:
        return f"{self.account}\0{self.arn}"

    def version(self, version_id: str) -> Version | None:
        return next((v for v in self.versions if v.version_id == version_id), None)


def role_key(account: str, name: str) -> str:
    return f"{account}\0{name.lower()}"


def encode(record: Role | Policy) -> bytes:
    return json.dumps(asdict(record), separators=(",", ":")).encode()


def decode_role(raw: bytes) -> Role:
    return Role(**json.loads(raw))


def decode_policy(raw: bytes) -> Policy:
    data = json.loads(raw)
    data["versions"] = [Version(**v) for v in data["versions"]]
    return Policy(**data)
