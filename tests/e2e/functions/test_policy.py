"""Resource policies and tags: AddPermission/RemovePermission/GetPolicy as AWS renders them (principals,
conditions, RevisionId), their errors, durability across a restart, and tags on function ARNs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.functions.support import ROLE, ensure_role, error_of, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

SOURCE = "def handler(e, c):\n    return {'ok': True}\n"


def test_policy_statements_as_aws_renders_them(lam: Any, role: str) -> None:
    arn = python_function(lam, "guarded", SOURCE, role)["FunctionArn"]
    added = lam.add_permission(
        FunctionName="guarded",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::landing",
        SourceAccount="000000000000",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    s3_statement = {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "000000000000"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::landing"},
        },
    }
    assert json.loads(added["Statement"]) == s3_statement
    lam.add_permission(
        FunctionName=arn, StatementId="other-account", Action="lambda:GetFunction", Principal="111122223333"
    )
    lam.add_permission(
        FunctionName="guarded",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName="guarded",
        StatementId="via-url",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    got = lam.get_policy(FunctionName="guarded")
    policy = json.loads(got["Policy"])
    assert policy["Version"] == "2012-10-17" and policy["Id"] == "default"
    assert policy["Statement"] == [
        s3_statement,
        {
            "Sid": "other-account",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "lambda:GetFunction",
            "Resource": arn,
        },
        {
            "Sid": "url",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "lambda:InvokeFunctionUrl",
            "Resource": arn,
            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
        },
        {
            "Sid": "via-url",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "lambda:InvokeFunction",
            "Resource": arn,
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
        },
    ]
    revision = got["RevisionId"]
    # a stale RevisionId is refused; the current one works and moves the revision on
    assert error_of(
        lambda: lam.remove_permission(FunctionName="guarded", StatementId="url", RevisionId="stale")
    )[0::2] == ("PreconditionFailedException", 412)
    lam.remove_permission(FunctionName="guarded", StatementId="url", RevisionId=revision)
    after = lam.get_policy(FunctionName="guarded")
    assert after["RevisionId"] != revision
    assert [s["Sid"] for s in json.loads(after["Policy"])["Statement"]] == ["s3", "other-account", "via-url"]


def test_policy_errors(lam: Any, role: str) -> None:
    python_function(lam, "bare", SOURCE, role)
    assert error_of(lambda: lam.get_policy(FunctionName="bare")) == (
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
        404,
    )
    assert error_of(lambda: lam.remove_permission(FunctionName="bare", StatementId="x")) == (
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
        404,
    )
    grant = {
        "FunctionName": "bare",
        "StatementId": "once",
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
    }
    lam.add_permission(**grant)
    assert error_of(lambda: lam.add_permission(**grant)) == (
        "ResourceConflictException",
        "The statement id (once) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
        409,
    )
    assert error_of(lambda: lam.remove_permission(FunctionName="bare", StatementId="twice")) == (
        "ResourceNotFoundException",
        "Statement twice is not found in resource policy.",
        404,
    )
    code, message, status = error_of(
        lambda: lam.add_permission(**{**grant, "StatementId": "n", "Action": "s3:Get"})
    )
    assert (code, status) == ("ValidationException", 400) and "action" in message
    code, _, status = error_of(lambda: lam.get_policy(FunctionName="missing"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    # the last statement removed: no policy at all
    lam.remove_permission(FunctionName="bare", StatementId="once")
    assert error_of(lambda: lam.get_policy(FunctionName="bare"))[0] == "ResourceNotFoundException"
    # a deleted function's policy goes with it
    lam.add_permission(**grant)
    lam.delete_function(FunctionName="bare")
    python_function(lam, "bare", SOURCE, role)
    assert error_of(lambda: lam.get_policy(FunctionName="bare"))[0] == "ResourceNotFoundException"


def test_tags(lam: Any, role: str) -> None:
    arn = python_function(lam, "tagged", SOURCE, role, Tags={"team": "data"})["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "data"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev", "team": "platform"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "platform", "env": "dev"}
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.get_function(FunctionName="tagged")["Tags"] == {"env": "dev"}
    missing = arn.replace("tagged", "nobody")
    assert error_of(lambda: lam.list_tags(Resource=missing)) == (
        "ResourceNotFoundException",
        f"Function not found: {missing}",
        404,
    )


def test_policies_and_tags_survive_kill_9(tmp_path: Path) -> None:
    server = durable_server(tmp_path / "data", "--transition-delay", "0").start()
    try:
        lam = client_for(server.endpoint, "lambda")
        ensure_role(lambda service: client_for(server.endpoint, service))
        arn = python_function(lam, "kept", SOURCE, ROLE, Tags={"a": "1"})["FunctionArn"]
        lam.add_permission(
            FunctionName="kept", StatementId="s", Action="lambda:*", Principal="sns.amazonaws.com"
        )
        before = lam.get_policy(FunctionName="kept")
        lam.tag_resource(Resource=arn, Tags={"b": "2"})
        server.kill()
        server.start()
        after = lam.get_policy(FunctionName="kept")
        assert (after["Policy"], after["RevisionId"]) == (before["Policy"], before["RevisionId"])
        assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    finally:
        server.stop()
