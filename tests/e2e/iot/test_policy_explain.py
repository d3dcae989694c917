"""The explain view (`GET /_headwater/iot/explain`, `headwater iot explain`): which policy and
statement allowed or denied a request; and TestAuthorization with policyNamesToAdd."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot.policies import ARN, allow, certificate, deny, document, unique

ROUTE = "/_headwater/iot/explain"


def _explain(aws: Gateway, **params: str) -> httpx.Response:
    return httpx.get(aws.server.endpoint + ROUTE, params=params, timeout=10)


@pytest.fixture
def device(aws: Gateway, tmp_path: Path) -> tuple[str, str]:
    """A certificate with one policy: statement 0 denies secret/*, statement 1 allows the rest."""
    cert = certificate(aws, tmp_path)
    policy = unique("explained")
    aws.iot().create_policy(
        policyName=policy,
        policyDocument=document(
            deny("iot:Publish", f"{ARN}:topic/secret/*", Sid="NoSecrets"),
            allow(["iot:Connect", "iot:Publish"], "*", Sid="Everything"),
        ),
    )
    aws.iot().attach_policy(policyName=policy, target=cert.arn)
    return cert.arn, policy


def test_the_route_names_the_deciding_statement(aws: Gateway, device: tuple[str, str]) -> None:
    principal, policy = device
    allowed = _explain(aws, principal=principal, clientId="c1", action="iot:Publish", resource="open/a")
    assert allowed.status_code == 200
    body = allowed.json()
    assert (body["decision"], body["policy"], body["policyVersion"], body["statementIndex"]) == (
        "ALLOWED",
        policy,
        "1",
        1,
    )
    assert body["resource"] == f"{ARN}:topic/open/a"
    assert json.loads(body["statement"])["Sid"] == "Everything"
    assert body["summary"].startswith(f"ALLOWED: iot:Publish on {ARN}:topic/open/a")

    denied = _explain(aws, principal=principal, clientId="c1", action="PUBLISH", resource="secret/x").json()
    assert (denied["decision"], denied["statementIndex"], denied["deniedBy"]) == (
        "EXPLICIT_DENY",
        0,
        [policy],
    )
    assert "NoSecrets" in denied["summary"]

    implicit = _explain(
        aws, principal=principal, clientId="c1", action="iot:Subscribe", resource="open/#"
    ).json()
    assert (implicit["decision"], implicit["policy"]) == ("IMPLICIT_DENY", None)
    assert implicit["resource"] == f"{ARN}:topicfilter/open/#"
    assert policy in implicit["summary"]  # the policies that were evaluated


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"resource": "a"}, 400, "missing action"),
        ({"action": "iot:Publish"}, 400, "missing resource"),
        ({"action": "frobnicate", "resource": "a"}, 400, "Invalid action"),
        (
            {"principal": "not-a-principal", "action": "iot:Publish", "resource": "a"},
            400,
            "Invalid principal",
        ),
        (
            {"principal": f"{ARN}:cert/{'ab' * 32}", "action": "iot:Publish", "resource": "a"},
            404,
            "does not exist",
        ),
    ],
)
def test_the_route_refuses_bad_input(aws: Gateway, params: dict[str, str], status: int, words: str) -> None:
    answer = _explain(aws, **params)
    assert answer.status_code == status
    assert words in answer.json()["error"]


def _cli(aws: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "headwater", "iot", "explain", "--endpoint", aws.server.endpoint, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_the_cli_prints_the_summary(aws: Gateway, device: tuple[str, str]) -> None:
    principal, policy = device
    base = ("--principal", principal, "--client-id", "c1", "--action", "publish")
    allowed = _cli(aws, *base, "--resource", "open/a")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.startswith(f"ALLOWED: iot:Publish on {ARN}:topic/open/a")
    assert f"decided by policy {policy} (version 1), statement 1" in allowed.stdout

    denied = _cli(aws, *base, "--resource", "secret/a", "--json")
    assert denied.returncode == 3  # denied: a script can test the status
    assert json.loads(denied.stdout)["decision"] == "EXPLICIT_DENY"

    bad = _cli(aws, "--principal", "nope", "--action", "publish", "--resource", "a")
    assert bad.returncode == 1
    assert "answered 400" in bad.stderr and "Invalid principal: nope" in bad.stderr


def test_test_authorization_adds_and_skips_policies_by_name(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    cert = certificate(aws, tmp_path, allow("iot:Connect", "*"))
    extra = unique("extra")
    iot.create_policy(policyName=extra, policyDocument=document(allow("iot:Publish", f"{ARN}:topic/t/*")))

    def decide(**more: Any) -> str:
        answer = iot.test_authorization(
            principal=cert.arn,
            clientId="c1",
            authInfos=[{"actionType": "PUBLISH", "resources": [f"{ARN}:topic/t/1"]}],
            **more,
        )
        return str(answer["authResults"][0]["authDecision"])

    assert decide() == "IMPLICIT_DENY"
    assert decide(policyNamesToAdd=[extra]) == "ALLOWED"  # not attached, evaluated as if it were
    iot.attach_policy(policyName=extra, target=cert.arn)
    assert decide() == "ALLOWED"
    assert decide(policyNamesToSkip=[extra]) == "IMPLICIT_DENY"
