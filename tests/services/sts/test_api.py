"""The STS operations called directly: identities, credential shapes, durations, AWS's refusals."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from headwater.config import Config
from headwater.engine.memory import MemoryMetaStore
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.sts import api
from headwater.services.sts.service import StsCore

ROLE = "arn:aws:iam::111122223333:role/ops/deployer"


def core() -> StsCore:
    return StsCore(Config(account_id="000000000000"), MemoryMetaStore(), TestClock())


def ctx(access_key: str | None = "test", account: str = "000000000000") -> RequestContext:
    return RequestContext(account=account, region="us-east-1", request_id="r", access_key=access_key)


def run(operation: Any, sts: StsCore, params: dict[str, Any], context: RequestContext) -> dict[str, Any]:
    return asyncio.run(operation(sts, params, context))  # type: ignore[no-any-return]


def error_of(operation: Any, sts: StsCore, params: dict[str, Any], context: RequestContext) -> AwsError:
    with pytest.raises(AwsError) as info:
        run(operation, sts, params, context)
    return info.value


def assume(sts: StsCore, context: RequestContext | None = None, **params: Any) -> dict[str, Any]:
    params = {"RoleArn": ROLE, "RoleSessionName": "build-42", **params}
    return run(api.assume_role, sts, params, context or ctx())


def as_caller(credentials: dict[str, Any]) -> RequestContext:
    return ctx(credentials["AccessKeyId"], account="unused")


def test_the_default_credentials_are_the_accounts_root() -> None:
    sts = core()
    assert run(api.get_caller_identity, sts, {}, ctx()) == {
        "Arn": "arn:aws:iam::000000000000:root",
        "UserId": "000000000000",
        "Account": "000000000000",
    }
    mapped = run(api.get_caller_identity, sts, {}, ctx("123456789012", "123456789012"))
    assert mapped["Arn"] == "arn:aws:iam::123456789012:root" and mapped["UserId"] == "123456789012"


def test_assume_role_issues_credentials_in_the_roles_account() -> None:
    sts = core()
    now = sts.clock.now()
    result = assume(sts)
    user, credentials = result["AssumedRoleUser"], result["Credentials"]
    assert list(result) == ["AssumedRoleUser", "Credentials"]  # no policy or tags: no PackedPolicySize
    assert user["Arn"] == "arn:aws:sts::111122223333:assumed-role/deployer/build-42"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:build-42", user["AssumedRoleId"])
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", credentials["SecretAccessKey"])
    assert len(credentials["SessionToken"]) >= 300
    assert credentials["Expiration"] == int(now) + 3600
    identity = run(api.get_caller_identity, sts, {}, as_caller(credentials))
    assert identity == {"Arn": user["Arn"], "UserId": user["AssumedRoleId"], "Account": "111122223333"}
    # the same role keeps its unique id; each session gets its own keys
    again = assume(sts, RoleSessionName="other", DurationSeconds=43200)
    assert again["AssumedRoleUser"]["AssumedRoleId"].split(":")[0] == user["AssumedRoleId"].split(":")[0]
    assert again["Credentials"]["AccessKeyId"] != credentials["AccessKeyId"]
    assert again["Credentials"]["Expiration"] == int(now) + 43200


def test_partition_and_path_of_the_role() -> None:
    result = assume(core(), RoleArn="arn:aws-cn:iam::111122223333:role/a/b/c")
    assert result["AssumedRoleUser"]["Arn"] == "arn:aws-cn:sts::111122223333:assumed-role/c/build-42"


@pytest.mark.parametrize("arn", ["x" * 20, "arn:aws:iam:111122223333:role", "not:an:arn:at:all"])
def test_a_role_arn_that_is_no_arn_is_invalid(arn: str) -> None:
    error = error_of(api.assume_role, core(), {"RoleArn": arn, "RoleSessionName": "s1"}, ctx())
    assert (error.code, error.message, error.status) == ("ValidationError", f"{arn} is invalid", 400)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:s3:::bucket-name-here",
        "arn:aws:iam::not-an-account:role/x",
    ],
)
def test_an_arn_of_anything_but_a_role_is_denied(arn: str) -> None:
    error = error_of(api.assume_role, core(), {"RoleArn": arn, "RoleSessionName": "s1"}, ctx())
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error.message == (
        f"User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: {arn}"
    )


def test_role_chaining_is_held_to_one_hour() -> None:
    sts = core()
    first = as_caller(assume(sts)["Credentials"])
    error = error_of(
        api.assume_role, sts, {"RoleArn": ROLE, "RoleSessionName": "s2", "DurationSeconds": 3601}, first
    )
    assert (error.code, error.message) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )
    chained = assume(sts, first, DurationSeconds=3600)
    assert chained["AssumedRoleUser"]["Arn"].endswith("assumed-role/deployer/build-42")


def test_session_policies_and_tags() -> None:
    sts = core()
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    result = assume(sts, Policy=policy, Tags=[{"Key": "team", "Value": "data"}], SourceIdentity="alice")
    assert 1 <= result["PackedPolicySize"] <= 100 and result["SourceIdentity"] == "alice"
    error = error_of(
        api.assume_role, sts, {"RoleArn": ROLE, "RoleSessionName": "s", "Policy": "invalid"}, ctx()
    )
    assert error.code == "MalformedPolicyDocument"
    assert error.message.startswith(
        "Unexpected character ('i' (code 105)): expected a valid value (number, String, array, object, "
        "'true', 'false' or 'null')\n at [Source: java.io.StringReader; line: 1, column: 2]"
    )


def test_get_session_token_acts_as_the_caller_for_at_most_an_hour() -> None:
    sts = core()
    now = int(sts.clock.now())
    result = run(api.get_session_token, sts, {"DurationSeconds": 129600}, ctx("123456789012", "123456789012"))
    credentials = result["Credentials"]
    assert credentials["Expiration"] == now + 3600  # the root user's sessions are cut to one hour
    identity = run(api.get_caller_identity, sts, {}, as_caller(credentials))
    assert identity == {
        "Arn": "arn:aws:iam::123456789012:root",
        "UserId": "123456789012",
        "Account": "123456789012",
    }
    for operation in (api.get_session_token, api.get_federation_token):
        error = error_of(operation, sts, {"Name": "bob"}, as_caller(credentials))
        assert (error.code, error.status) == ("AccessDenied", 403)
        assert (
            error.message
            == f"Cannot call {operation.__name__.title().replace('_', '')} with session credentials"
        )
    # a session token's credentials may still assume a role (that is not chaining)
    assert assume(sts, as_caller(credentials), DurationSeconds=7200)["Credentials"]


def test_get_federation_token() -> None:
    sts = core()
    result = run(api.get_federation_token, sts, {"Name": "bob"}, ctx())
    assert result["FederatedUser"] == {
        "FederatedUserId": "000000000000:bob",
        "Arn": "arn:aws:sts::000000000000:federated-user/bob",
    }
    identity = run(api.get_caller_identity, sts, {}, as_caller(result["Credentials"]))
    assert identity["Arn"] == "arn:aws:sts::000000000000:federated-user/bob"


def test_web_identity_takes_the_tokens_claims() -> None:
    sts = core()
    token = (
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImF1ZCI6ImNsaWVudCIsImlzcyI6Imh0dHBzOi8vaWRwIn0.c2ln"
    )
    params = {"RoleArn": ROLE, "RoleSessionName": "web", "WebIdentityToken": token}
    result = run(api.assume_role_with_web_identity, sts, params, ctx(None))
    assert result["SubjectFromWebIdentityToken"] == "user-123"
    assert (result["Audience"], result["Provider"]) == ("client", "https://idp")
    assert result["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/deployer/web"
    placeholder = run(
        api.assume_role_with_web_identity, sts, {**params, "WebIdentityToken": "token"}, ctx(None)
    )
    assert placeholder["SubjectFromWebIdentityToken"] == "web"
    error = error_of(
        api.assume_role_with_web_identity, sts, {**params, "RoleArn": "arn:aws:s3:::bucket-x"}, ctx(None)
    )
    assert (error.code, error.message) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )


def test_get_access_key_info() -> None:
    sts = core()
    issued = assume(sts)["Credentials"]["AccessKeyId"]
    assert run(api.get_access_key_info, sts, {"AccessKeyId": issued}, ctx()) == {"Account": "111122223333"}
    assert run(api.get_access_key_info, sts, {"AccessKeyId": "123456789012"}, ctx()) == {
        "Account": "123456789012"
    }
    assert run(api.get_access_key_info, sts, {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}, ctx()) == {
        "Account": "000000000000"
    }
