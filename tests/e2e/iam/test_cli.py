"""IAM from the AWS CLI: the flow a deployment script runs around a function's role."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.e2e.support.cli import Cli

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def test_cli_role_flow(cli: Callable[..., Cli], tmp_path: Path) -> None:
    iam = cli("iam")
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(TRUST))
    role = iam("create-role", "--role-name", "fn-exec", "--assume-role-policy-document", f"file://{trust}")[
        "Role"
    ]
    assert role["Arn"] == "arn:aws:iam::000000000000:role/fn-exec"
    assert role["AssumeRolePolicyDocument"] == TRUST
    iam.ok("attach-role-policy", "--role-name", "fn-exec", "--policy-arn", BASIC)
    inline = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    )
    iam.ok(
        "put-role-policy", "--role-name", "fn-exec", "--policy-name", "queues", "--policy-document", inline
    )
    assert (
        iam("list-attached-role-policies", "--role-name", "fn-exec")["AttachedPolicies"][0]["PolicyArn"]
        == BASIC
    )
    assert iam("list-role-policies", "--role-name", "fn-exec")["PolicyNames"] == ["queues"]
    assert [r["RoleName"] for r in iam("list-roles")["Roles"]] == ["fn-exec"]
    refused = iam.run("delete-role", "--role-name", "fn-exec")
    assert refused.returncode != 0 and "DeleteConflict" in refused.stderr
    iam.ok("detach-role-policy", "--role-name", "fn-exec", "--policy-arn", BASIC)
    iam.ok("delete-role-policy", "--role-name", "fn-exec", "--policy-name", "queues")
    iam.ok("delete-role", "--role-name", "fn-exec")
    missing = iam.run("get-role", "--role-name", "fn-exec")
    assert missing.returncode != 0 and "The role with name fn-exec cannot be found." in missing.stderr
