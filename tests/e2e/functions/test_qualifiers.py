"""Settings Lambda keeps per version and alias: resource policies, asynchronous invocation configs
(an Event invoke runs the version it was invoked with, under its qualifier's config) and function
URLs on aliases; and layer version permissions, enforced across accounts in strict auth."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from tests.e2e.functions.support import ensure_role, error_of, python_function, zipped
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

VERSIONED = "def handler(event, context):\n    return {'code': 'CODE'}\n"
URL = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.us-east-1\.on\.aws/")

strict = server_fixture(
    "strict-layers",
    "--durability memory --limits off --transition-delay 0 --auth strict "
    "--credentials test:test,111122223333:other",
)


def _two_versions(lam: Any, role: str, name: str) -> str:
    """A function whose version 1 answers v1 and whose $LATEST answers v2; alias `live` -> 1."""
    arn = str(python_function(lam, name, VERSIONED.replace("CODE", "v1"), role)["FunctionArn"])
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": VERSIONED.replace("CODE", "v2")}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return arn


def _statement(lam: Any, sid: str, **where: str) -> dict[str, Any]:
    return dict(
        lam.add_permission(
            StatementId=sid, Action="lambda:InvokeFunction", Principal="s3.amazonaws.com", **where
        )
    )


def test_policies_per_version_and_alias(lam: Any, role: str) -> None:
    arn = _two_versions(lam, role, "scoped")
    for qualifier in ("1", "live"):
        added = _statement(lam, f"s-{qualifier}", FunctionName="scoped", Qualifier=qualifier)
        assert json.loads(added["Statement"])["Resource"] == f"{arn}:{qualifier}"
    # a qualified ARN in FunctionName works as well as the Qualifier parameter
    policy = json.loads(lam.get_policy(FunctionName=f"{arn}:live")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s-live"]
    assert [
        s["Sid"]
        for s in json.loads(lam.get_policy(FunctionName="scoped", Qualifier="1")["Policy"])["Statement"]
    ] == ["s-1"]
    assert error_of(lambda: lam.get_policy(FunctionName="scoped"))[0] == "ResourceNotFoundException"
    code, message, status = error_of(lambda: _statement(lam, "x", FunctionName="scoped", Qualifier="7"))
    assert (code, status) == ("ResourceNotFoundException", 404) and f"{arn}:7" in message
    assert error_of(lambda: _statement(lam, "x", FunctionName="scoped", Qualifier="$LATEST"))[0] == (
        "InvalidParameterValueException"
    )
    lam.remove_permission(FunctionName="scoped", Qualifier="1", StatementId="s-1")
    assert (
        error_of(lambda: lam.get_policy(FunctionName="scoped", Qualifier="1"))[0]
        == "ResourceNotFoundException"
    )
    # an alias deleted and made again starts without the old alias's policy
    lam.delete_alias(FunctionName="scoped", Name="live")
    lam.create_alias(FunctionName="scoped", Name="live", FunctionVersion="1")
    assert error_of(lambda: lam.get_policy(FunctionName="scoped", Qualifier="live"))[0] == (
        "ResourceNotFoundException"
    )


def _drain(sqs: Any, url: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) == count, got
    return got


def test_event_invoke_configs_per_qualifier_and_the_version_that_runs(lam: Any, role: str, sqs: Any) -> None:
    arn = _two_versions(lam, role, "layered")
    queues = {}
    for name in ("latest", "one", "alias"):
        url = sqs.create_queue(QueueName=f"outcome-{name}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queues[name] = (url, queue_arn)
    for qualifier, name in ((None, "latest"), ("1", "one"), ("live", "alias")):
        where = {"Qualifier": qualifier} if qualifier else {}
        put = lam.put_function_event_invoke_config(
            FunctionName="layered",
            DestinationConfig={"OnSuccess": {"Destination": queues[name][1]}},
            **where,
        )
        assert put["FunctionArn"] == f"{arn}:{qualifier or '$LATEST'}"
    listed = lam.list_function_event_invoke_configs(FunctionName="layered")["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted(f"{arn}:{q}" for q in ("$LATEST", "1", "live"))
    assert lam.get_function_event_invoke_config(FunctionName="layered", Qualifier="$LATEST")[
        "FunctionArn"
    ] == (f"{arn}:$LATEST")
    assert (
        error_of(lambda: lam.get_function_event_invoke_config(FunctionName="layered", Qualifier="9"))[0]
        == "ResourceNotFoundException"
    )

    for qualifier in (None, "1", "live"):
        where = {"Qualifier": qualifier} if qualifier else {}
        lam.invoke(FunctionName="layered", InvocationType="Event", Payload=b"{}", **where)
    (latest,) = _drain(sqs, queues["latest"][0], 1)
    (one,) = _drain(sqs, queues["one"][0], 1)
    (alias,) = _drain(sqs, queues["alias"][0], 1)
    assert latest["responsePayload"] == {"code": "v2"}
    assert latest["responseContext"]["executedVersion"] == "$LATEST"
    assert latest["requestContext"]["functionArn"] == f"{arn}:$LATEST"
    for record, invoked in ((one, "1"), (alias, "live")):
        assert record["responsePayload"] == {"code": "v1"}  # the published version's code ran
        assert record["responseContext"]["executedVersion"] == "1"
        assert record["requestContext"]["functionArn"] == f"{arn}:{invoked}"
    lam.delete_alias(FunctionName="layered", Name="live")
    listed = lam.list_function_event_invoke_configs(FunctionName="layered")["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted(f"{arn}:{q}" for q in ("$LATEST", "1"))


def test_function_urls_on_aliases(lam: Any, role: str, endpoint: str) -> None:
    arn = _two_versions(lam, role, "site")
    for qualifier in (None, "live"):
        where = {"Qualifier": qualifier} if qualifier else {}
        for sid, extra in (
            ("url", {"FunctionUrlAuthType": "NONE"}),
            ("invoke", {"InvokedViaFunctionUrl": True}),
        ):
            lam.add_permission(
                FunctionName="site",
                StatementId=sid,
                Action="lambda:InvokeFunctionUrl" if sid == "url" else "lambda:InvokeFunction",
                Principal="*",
                **extra,
                **where,
            )
    plain = lam.create_function_url_config(FunctionName="site", AuthType="NONE")
    aliased = lam.create_function_url_config(FunctionName="site", Qualifier="live", AuthType="NONE")
    assert plain["FunctionArn"] == arn and aliased["FunctionArn"] == f"{arn}:live"
    assert plain["FunctionUrl"] != aliased["FunctionUrl"]
    assert (
        lam.get_function_url_config(FunctionName="site", Qualifier="live")["FunctionUrl"]
        == aliased["FunctionUrl"]
    )
    listed = lam.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [arn, f"{arn}:live"]
    for config, code in ((plain, "v2"), (aliased, "v1")):
        host = f"{URL.fullmatch(config['FunctionUrl'])[1]}.lambda-url.us-east-1.on.aws"
        answer = httpx.get(f"{endpoint}/", headers={"Host": host})
        assert (answer.status_code, answer.json()) == (200, {"code": code})
    assert (
        error_of(
            lambda: lam.create_function_url_config(FunctionName="site", Qualifier="live", AuthType="NONE")
        )[0]
        == "ResourceConflictException"
    )
    assert (
        error_of(
            lambda: lam.create_function_url_config(FunctionName="site", Qualifier="nope", AuthType="NONE")
        )[0]
        == "ResourceNotFoundException"
    )
    lam.delete_alias(FunctionName="site", Name="live")
    assert [
        c["FunctionArn"] for c in lam.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"]
    ] == [arn]
    gone = httpx.get(
        f"{endpoint}/",
        headers={"Host": f"{URL.fullmatch(aliased['FunctionUrl'])[1]}.lambda-url.us-east-1.on.aws"},
    )
    assert gone.status_code == 404


def _layer(lam: Any, name: str) -> dict[str, Any]:
    return dict(
        lam.publish_layer_version(
            LayerName=name, Content={"ZipFile": zipped({"python/shared.py": "VALUE = 7\n"})}
        )
    )


def test_layer_version_permissions(lam: Any) -> None:
    layer = _layer(lam, "shared")
    added = lam.add_layer_version_permission(
        LayerName="shared",
        VersionNumber=1,
        StatementId="xaccount",
        Action="lambda:GetLayerVersion",
        Principal="111122223333",
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "xaccount",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": layer["LayerVersionArn"],
    }
    org = lam.add_layer_version_permission(
        LayerName=layer["LayerArn"],
        VersionNumber=1,
        StatementId="org",
        Action="lambda:GetLayerVersion",
        Principal="*",
        OrganizationId="o-abcdefghij",
        RevisionId=added["RevisionId"],
    )
    assert json.loads(org["Statement"])["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}
    }
    got = lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert got["RevisionId"] == org["RevisionId"]
    assert [s["Sid"] for s in json.loads(got["Policy"])["Statement"]] == ["xaccount", "org"]
    assert (
        error_of(
            lambda: lam.add_layer_version_permission(
                LayerName="shared",
                VersionNumber=1,
                StatementId="org",
                Action="lambda:GetLayerVersion",
                Principal="*",
            )
        )[0]
        == "ResourceConflictException"
    )
    assert (
        error_of(
            lambda: lam.add_layer_version_permission(
                LayerName="shared",
                VersionNumber=1,
                StatementId="y",
                Action="lambda:InvokeFunction",
                Principal="*",
            )
        )[0]
        == "ValidationException"  # the model admits only lambda:GetLayerVersion
    )
    assert (
        error_of(
            lambda: lam.add_layer_version_permission(
                LayerName="shared",
                VersionNumber=1,
                StatementId="y",
                Action="lambda:GetLayerVersion",
                Principal="*",
                RevisionId="stale",
            )
        )[0]
        == "PreconditionFailedException"
    )
    code, message, status = error_of(
        lambda: lam.get_layer_version_policy(LayerName="shared", VersionNumber=9)
    )
    assert (code, status) == ("ResourceNotFoundException", 404) and "does not exist" in message
    assert (
        error_of(
            lambda: lam.remove_layer_version_permission(
                LayerName="shared", VersionNumber=1, StatementId="nope"
            )
        )[0]
        == "ResourceNotFoundException"
    )
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="org")
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="xaccount")
    assert error_of(lambda: lam.get_layer_version_policy(LayerName="shared", VersionNumber=1))[1] == (
        "No policy is associated with the given resource."
    )


def test_another_account_needs_the_layer_grant_in_strict_auth(strict: Server) -> None:
    owner = client_for(strict.endpoint, "lambda")
    other = client_for(strict.endpoint, "lambda", access_key="111122223333", secret_key="other")
    role = ensure_role(
        lambda service: client_for(strict.endpoint, service, access_key="111122223333", secret_key="other")
    ).replace("000000000000", "111122223333")  # the role of the borrowing account
    layer = _layer(owner, "guarded")
    source = "import shared\n\ndef handler(event, context):\n    return shared.VALUE\n"

    def create() -> Any:
        return python_function(other, "borrower", source, role, Layers=[layer["LayerVersionArn"]])

    code, message, status = error_of(create)
    assert (code, status) == ("AccessDeniedException", 403) and "lambda:GetLayerVersion" in message
    owner.add_layer_version_permission(
        LayerName="guarded",
        VersionNumber=1,
        StatementId="borrower",
        Action="lambda:GetLayerVersion",
        Principal="111122223333",
    )
    create()
    assert json.loads(other.invoke(FunctionName="borrower")["Payload"].read()) == 7
