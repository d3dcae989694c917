"""S3's rules for buckets that do not depend on state: names, locations, owners, tag sets, ACLs.

Names follow AWS's general purpose bucket rules (3-63 characters of lowercase letters, digits, dots
and hyphens, alphanumeric at both ends, not an IP address, no "..", and the reserved prefixes and
suffixes). Locations: the us-east-1 endpoint (S3's global endpoint) creates buckets in any region;
every other endpoint creates them only in its own region, and "us-east-1" is never a valid
LocationConstraint (a us-east-1 bucket is the one created without a constraint).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headwater.protocol.errors import AwsError
from headwater.services.s3.errors import malformed_xml, s3_error
from headwater.services.s3.records import Bucket

if TYPE_CHECKING:
    from headwater.services.s3.service import S3Core

DEFAULT_REGION = "us-east-1"

# BucketLocationConstraint's values ("EU" is the legacy name of eu-west-1)
LOCATION_CONSTRAINTS = frozenset(
    [
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "cn-north-1",
        "cn-northwest-1",
        "EU",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-2",
        "us-gov-east-1",
        "us-gov-west-1",
        "us-west-1",
        "us-west-2",
    ]
)

_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def is_valid_bucket_name(name: str) -> bool:
    return (
        _NAME.fullmatch(name) is not None
        and ".." not in name
        and _IP.fullmatch(name) is None
        and not name.startswith(RESERVED_PREFIXES)
        and not name.endswith(RESERVED_SUFFIXES)
    )


def check_bucket_name(name: str) -> None:
    if not is_valid_bucket_name(name):
        raise s3_error("InvalidBucketName", "The specified bucket is not valid.", BucketName=name)


def bucket_region(endpoint_region: str, constraint: str | None) -> str:
    """The region a CreateBucket sent to `endpoint_region` with `constraint` creates its bucket in."""
    if not constraint:
        if endpoint_region != DEFAULT_REGION:
            raise s3_error(
                "IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific endpoint "
                "this request was sent to.",
            )
        return DEFAULT_REGION
    region = "eu-west-1" if constraint == "EU" else constraint
    if region != DEFAULT_REGION and endpoint_region not in (DEFAULT_REGION, region):
        # a regional endpoint names any other constraint, known or not, incompatible
        raise s3_error(
            "IllegalLocationConstraintException",
            f"The {constraint} location constraint is incompatible for the region specific endpoint this "
            "request was sent to.",
            LocationConstraint=constraint,
        )
    known = constraint in LOCATION_CONSTRAINTS or region == endpoint_region
    if region == DEFAULT_REGION or not known:
        raise s3_error(
            "InvalidLocationConstraint",
            "The specified location-constraint is not valid",
            LocationConstraint=constraint,
        )
    return region


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


NAMESPACES = ("global", "account-regional")
_REGIONAL_SUFFIX = re.compile(r"-\d{12}-[a-z0-9-]+-an")


def check_namespace(name: str, namespace: str | None, account: str, region: str) -> str | None:
    """x-amz-bucket-namespace: an account-regional bucket's name ends with
    -<account>-<region>-an after a prefix of its own; a global one may not end with -an (that
    suffix is the account-regional namespace's). Returns what to keep ("account-regional" or None)."""
    if namespace is not None and namespace not in NAMESPACES:
        raise s3_error(
            "InvalidArgument",
            f"Invalid x-amz-bucket-namespace header: {namespace}",
            ArgumentName="x-amz-bucket-namespace",
            ArgumentValue=namespace,
        )
    if namespace == "account-regional":
        suffix = f"-{account}-{region}-an"
        if not name.endswith(suffix) or len(name) == len(suffix):
            raise s3_error(
                "InvalidBucketName",
                "The specified bucket is not valid. Bucket names in your account regional namespace must "
                f"end with the suffix {suffix}",
                BucketName=name,
            )
        return namespace
    if name.endswith("-an") and _REGIONAL_SUFFIX.search(name):
        raise s3_error("InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
    return None


# -- owners -----------------------------------------------------------------------------------------


def canonical_id(account: str) -> str:
    """The account's canonical user id: 64 hex digits, stable, as S3 shows owners."""
    return hashlib.sha256(f"headwater-canonical-user:{account}".encode()).hexdigest()


def owner_of(account: str) -> dict[str, str]:
    """The `Owner` element of S3 answers (ListBuckets, GetBucketAcl, ListObjects with FetchOwner)."""
    return {"ID": canonical_id(account), "DisplayName": account}


# -- tag sets ---------------------------------------------------------------------------------------

_TAG_PUNCTUATION = frozenset("+-=._:/@ ")


def _is_tag_text(text: str) -> bool:
    # letters, digits, spaces and + - = . _ : / @ (a tab, a comma or an emoji is refused)
    return all(char.isalnum() or char in _TAG_PUNCTUATION for char in text)


def check_tag_set(tags: Sequence[Mapping[str, Any]], limit: int, what: str = "Bucket") -> dict[str, str]:
    """Validates a TagSet ([{Key, Value}]) as S3 does; returns it as a dict (key order kept)."""
    result: dict[str, str] = {}
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value")
        if not isinstance(key, str) or not isinstance(value, str):
            raise malformed_xml()
        if not 1 <= _utf16_len(key) <= 128 or not _is_tag_text(key):
            raise s3_error("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
        if _utf16_len(value) > 256 or not _is_tag_text(value):
            raise s3_error(
                "InvalidTag", "The TagValue you have provided is invalid", TagKey=key, TagValue=value
            )
        if key.lower().startswith("aws:"):
            raise s3_error("InvalidTag", "System tags cannot be added/updated by requester", TagKey=key)
        if key in result:
            raise s3_error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
        result[key] = value
    if len(result) > limit:
        raise s3_error("BadRequest", f"{what} tags cannot be greater than {limit}")
    return result


def _utf16_len(text: str) -> int:
    # S3 counts UTF-16 code units: a character outside the BMP counts twice
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


# -- access control lists ---------------------------------------------------------------------------

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")

_CANNED: dict[str, list[tuple[str, str]]] = {
    "private": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
}
_GRANT_HEADERS = {
    "GrantFullControl": "FULL_CONTROL",
    "GrantRead": "READ",
    "GrantReadACP": "READ_ACP",
    "GrantWrite": "WRITE",
    "GrantWriteACP": "WRITE_ACP",
}


def owner_grant(account: str) -> dict[str, Any]:
    return {"Grantee": {"Type": "CanonicalUser", **owner_of(account)}, "Permission": "FULL_CONTROL"}


def group_grant(uri: str, permission: str) -> dict[str, Any]:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def acl_from_params(params: Mapping[str, Any], account: str) -> list[dict[str, Any]] | None:
    """The grants a request's canned ACL (x-amz-acl) or x-amz-grant-* headers give; None when it
    sends neither."""
    canned = params.get("ACL")
    headers = {name: params[name] for name in _GRANT_HEADERS if params.get(name)}
    if canned is None and not headers:
        return None
    if canned is not None and headers:
        raise s3_error("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
    if canned is not None:
        if canned not in _CANNED:
            raise s3_error(
                "InvalidArgument", "Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=str(canned)
            )
        return [owner_grant(account)] + [group_grant(uri, perm) for uri, perm in _CANNED[canned]]
    grants: list[dict[str, Any]] = []
    for name, permission in _GRANT_HEADERS.items():
        for grantee in _parse_grantees(str(headers.get(name, ""))):
            grants.append({"Grantee": grantee, "Permission": permission})
    return grants


def _parse_grantees(header: str) -> list[dict[str, str]]:
    grantees: list[dict[str, str]] = []
    for item in filter(None, (part.strip() for part in header.split(","))):
        kind, sep, value = item.partition("=")
        value = value.strip().strip('"')
        kind = kind.strip().lower()
        if not sep or not value:
            raise s3_error("InvalidArgument", "Invalid grant header", ArgumentName="x-amz-grant")
        if kind == "id":
            grantees.append({"Type": "CanonicalUser", "ID": value})
        elif kind == "uri":
            grantees.append({"Type": "Group", "URI": value})
        elif kind == "emailaddress":
            grantees.append({"Type": "AmazonCustomerByEmail", "EmailAddress": value})
        else:
            raise s3_error("InvalidArgument", "Invalid grant header", ArgumentName="x-amz-grant")
    return grantees


def acl_from_policy(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The grants of an AccessControlPolicy document, checked."""
    grants = policy.get("Grants") or []
    for grant in grants:
        grantee = grant.get("Grantee") or {}
        if grant.get("Permission") not in PERMISSIONS or grantee.get("Type") not in (
            "CanonicalUser",
            "Group",
            "AmazonCustomerByEmail",
        ):
            raise malformed_xml()
    return [dict(grant) for grant in grants]


def is_public_acl(grants: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        (grant.get("Grantee") or {}).get("URI") in (ALL_USERS, AUTHENTICATED_USERS) for grant in grants
    )


def is_owner_only(grants: Sequence[Mapping[str, Any]], account: str) -> bool:
    """The ACL grants nothing but the owner's full control (what S3 accepts with ACLs disabled)."""
    owner = canonical_id(account)
    return all(
        (grant.get("Grantee") or {}).get("ID") == owner and grant.get("Permission") == "FULL_CONTROL"
        for grant in grants
    )


def acl_error() -> AwsError:
    return s3_error("AccessControlListNotSupported", "The bucket does not allow ACLs")


# -- handler helpers --------------------------------------------------------------------------------


def lookup(core: S3Core, params: Mapping[str, Any]) -> Bucket:
    """The request's bucket (NoSuchBucket), checked against x-amz-expected-bucket-owner."""
    bucket = core.bucket(params.get("Bucket"))
    expected = params.get("ExpectedBucketOwner")
    if expected and expected != bucket.account:
        raise access_denied()
    return bucket


def save(core: S3Core, bucket: Bucket, name: str, value: Any | None) -> Awaitable[None]:
    """Stores (or, with None, removes) one of the bucket's configurations; returns the durable write.
    Callers read the bucket and call this with no await in between."""
    return core.store.put_bucket(bucket.with_config(name, value))


def not_found(code: str, message: str, bucket: str) -> AwsError:
    return s3_error(code, message, 404, BucketName=bucket)


def stored_config(bucket: Bucket, name: str, code: str, message: str) -> Any:
    """A sub-resource's stored configuration, or the 404 S3 answers for a bucket without one."""
    config = bucket.configs.get(name)
    if config is None:
        raise not_found(code, message, bucket.name)
    return config


def access_denied() -> AwsError:
    return s3_error("AccessDenied", "Access Denied", 403)


def no_content() -> dict[str, Any]:
    """The answer of operations S3 answers with 204 (deletes, PutBucketTagging, PutBucketPolicy)."""
    return {"__status__": 204}


def acls_enabled(bucket: Bucket) -> bool:
    """ACLs count unless the bucket's object ownership is BucketOwnerEnforced (S3's default since 2023;
    without ownership controls a bucket behaves as ObjectWriter)."""
    rules = (bucket.configs.get("ownership") or {}).get("Rules") or [{}]
    return rules[0].get("ObjectOwnership") != "BucketOwnerEnforced"


def public_access_block(bucket: Bucket) -> dict[str, bool]:
    config = bucket.configs.get("public_access_block") or {}
    return {name: bool(config.get(name)) for name in PUBLIC_ACCESS_SETTINGS}


PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
OWNERSHIPS = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")
