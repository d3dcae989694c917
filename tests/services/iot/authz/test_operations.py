"""TestAuthorization, GetEffectivePolicies and the explain view over in-test stores."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.authz import operations
from headwater.services.iot.authz.explain import render
from headwater.services.iot.authz.part import Authz, NoPolicies, NoThings
from headwater.services.iot.contracts import AuthContext
from tests.services.iot.authz.fakes import (
    ACCOUNT,
    ARN,
    REGION,
    Certificates,
    Policies,
    Things,
    certificate,
    client,
    policy,
    topic,
)

CTX = RequestContext(ACCOUNT, REGION, "req-1", protocol="rest-json")
DER = certificate()


def _setup() -> tuple[Authz, str]:
    certs = Certificates()
    cert = certs.add(DER)
    things = Things()
    things.add("lamp-1")
    things.attach(cert, "lamp-1")
    group = f"{ARN}:thinggroup/lights"
    things.groups["lamp-1"] = [group]
    policies = Policies()
    policies.put(
        "device",
        policy(
            {
                "Effect": "Allow",
                "Action": "iot:Connect",
                "Resource": client("${iot:Connection.Thing.ThingName}"),
            },
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": topic("lamp/*")},
        ),
        cert,
    )
    policies.put(
        "lights", policy({"Effect": "Deny", "Action": "iot:Publish", "Resource": topic("lamp/off")}), group
    )
    policies.put("extra", policy({"Effect": "Allow", "Action": "iot:Subscribe", "Resource": "*"}))
    return Authz(things, policies, certs), cert


def _test(authz: Authz, **params: Any) -> list[dict[str, Any]]:
    return asyncio.run(operations.test_authorization(authz, params, CTX))["authResults"]


def _refs(*names: str) -> dict[str, Any]:
    return {"policies": [{"policyName": n, "policyArn": f"{ARN}:policy/{n}"} for n in names]}


def test_allowed_explicit_and_implicit_results() -> None:
    authz, cert = _setup()
    infos = [
        {"actionType": "CONNECT", "resources": [client("lamp-1")]},
        {"actionType": "PUBLISH", "resources": [topic("lamp/off")]},
        {"actionType": "SUBSCRIBE", "resources": [f"{ARN}:topicfilter/lamp/#"]},
    ]
    connect, publish, subscribe = _test(authz, principal=cert, clientId="lamp-1", authInfos=infos)
    assert connect == {
        "authInfo": infos[0],
        "allowed": _refs("device"),
        "denied": {"implicitDeny": _refs(), "explicitDeny": _refs()},
        "authDecision": "ALLOWED",
        "missingContextValues": [],
    }
    assert publish["authDecision"] == "EXPLICIT_DENY"
    assert publish["allowed"] == _refs("device") and publish["denied"]["explicitDeny"] == _refs("lights")
    assert subscribe["authDecision"] == "IMPLICIT_DENY"
    assert subscribe["denied"]["implicitDeny"] == _refs("device", "lights")


def test_missing_context_values() -> None:
    authz, cert = _setup()
    (result,) = _test(
        authz, principal=cert, authInfos=[{"actionType": "CONNECT", "resources": [client("lamp-1")]}]
    )
    assert result["authDecision"] == "IMPLICIT_DENY"
    assert result["missingContextValues"] == ["iot:Connection.Thing.ThingName"]


def test_all_resources_must_be_allowed() -> None:
    authz, cert = _setup()
    info = {"actionType": "RECEIVE", "resources": [topic("lamp/a"), topic("other")]}
    (result,) = _test(authz, principal=cert, clientId="lamp-1", authInfos=[info])
    assert result["authDecision"] == "IMPLICIT_DENY" and result["allowed"] == _refs("device")


def test_policies_to_add_and_skip() -> None:
    authz, cert = _setup()
    info = {"actionType": "SUBSCRIBE", "resources": [f"{ARN}:topicfilter/x"]}
    (added,) = _test(authz, principal=cert, clientId="lamp-1", authInfos=[info], policyNamesToAdd=["extra"])
    assert added["authDecision"] == "ALLOWED" and added["allowed"] == _refs("extra")
    info = {"actionType": "PUBLISH", "resources": [topic("lamp/off")]}
    (skipped,) = _test(
        authz, principal=cert, clientId="lamp-1", authInfos=[info], policyNamesToSkip=["lights"]
    )
    assert skipped["authDecision"] == "ALLOWED"
    with pytest.raises(AwsError) as raised:
        _test(authz, principal=cert, authInfos=[info], policyNamesToAdd=["nope"])
    assert (raised.value.code, raised.value.status) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {
                "principal": f"{ARN}:cert/{'0' * 64}",
                "authInfos": [{"actionType": "CONNECT", "resources": ["*"]}],
            },
            "ResourceNotFoundException",
        ),
        (
            {"principal": "someone", "authInfos": [{"actionType": "CONNECT", "resources": ["*"]}]},
            "InvalidRequestException",
        ),
        ({"authInfos": [{"resources": ["*"]}]}, "InvalidRequestException"),
        ({"authInfos": [{"actionType": "CONNECT", "resources": []}]}, "InvalidRequestException"),
    ],
)
def test_bad_requests(params: dict[str, Any], code: str) -> None:
    authz, _ = _setup()
    with pytest.raises(AwsError) as raised:
        _test(authz, **params)
    assert raised.value.code == code


def test_without_stores_every_check_is_an_implicit_deny() -> None:
    authz = Authz(NoThings(), NoPolicies())
    (result,) = _test(
        authz, principal=f"{ARN}:cert/{'a' * 64}", authInfos=[{"actionType": "CONNECT", "resources": ["*"]}]
    )
    assert result["authDecision"] == "IMPLICIT_DENY" and result["denied"]["implicitDeny"] == _refs()


def test_effective_policies() -> None:
    authz, cert = _setup()

    def names(**params: str) -> list[str]:
        answer = asyncio.run(operations.get_effective_policies(authz, params, CTX))["effectivePolicies"]
        assert all(
            p["policyArn"].endswith(p["policyName"]) and p["policyDocument"].startswith("{") for p in answer
        )
        return [p["policyName"] for p in answer]

    assert names(principal=cert) == ["device", "lights"]
    assert names(principal=cert, thingName="lamp-1") == ["device", "lights"]
    assert names(thingName="lamp-1") == ["lights"]
    assert names() == []
    with pytest.raises(AwsError) as raised:
        names(thingName="nope")
    assert raised.value.code == "ResourceNotFoundException"


def test_explain_names_policy_and_statement() -> None:
    authz, cert = _setup()
    answer = authz.explain(ACCOUNT, REGION, cert, "lamp-1", "publish", "lamp/off")
    assert answer["resource"] == topic("lamp/off") and answer["action"] == "iot:Publish"
    assert (answer["decision"], answer["policy"], answer["statementIndex"]) == ("EXPLICIT_DENY", "lights", 0)
    assert answer["thing"] == "lamp-1" and answer["allowedBy"] == ["device"]
    text = render(answer)
    assert answer["summary"] == text
    assert (
        "EXPLICIT_DENY: iot:Publish" in text and "decided by policy lights (version 1), statement 0" in text
    )
    connect = authz.explain(ACCOUNT, REGION, cert, "stranger", "iot:Connect", "stranger")
    assert connect["resource"] == client("stranger") and connect["decision"] == "IMPLICIT_DENY"
    assert "no statement allows; policies evaluated: device" in render(connect)


def test_changes_through_the_api_drop_cached_decisions() -> None:
    authz, cert = _setup()
    core = SimpleNamespace(authz=authz)
    calls: list[str] = []

    async def attach(core: Any, params: dict[str, Any], ctx: RequestContext) -> None:
        calls.append("attach")

    async def describe(core: Any, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        return {}

    table = operations.invalidating({"AttachPolicy": attach, "DescribeThing": describe})
    assert table["DescribeThing"] is describe
    context = AuthContext(ACCOUNT, REGION, "lamp-1", cert)
    authz.engine.authorize(context, "iot:Publish", topic("lamp/a"))
    assert authz.engine._decisions
    asyncio.run(table["AttachPolicy"](core, {}, CTX))
    assert calls == ["attach"] and not authz.engine._decisions and not authz.engine._connections
