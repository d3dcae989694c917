"""The policy engine on AWS's documented examples: variables, things, groups, certificates, deny."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.x509.oid import NameOID

from headwater.services.iot.authz import PolicyEngine
from headwater.services.iot.contracts import AuthContext
from tests.services.iot.authz.fakes import (
    ARN,
    Policies,
    Things,
    cert_arn,
    certificate,
    client,
    context,
    policy,
    topic,
    topicfilter,
)

DER = certificate(
    [
        (NameOID.COMMON_NAME, "lamp-1"),
        (NameOID.ORGANIZATION_NAME, "Example Corp"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Lights"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "Floor2"),
    ],
    dns=["lamp-1.example.com"],
)
CERT = cert_arn(DER)


def _allow(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: str | list[str], resource: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def _engine(*statements: dict[str, Any], things: Things | None = None) -> tuple[PolicyEngine, Policies]:
    policies = Policies()
    policies.put("device", policy(*statements), CERT)
    return PolicyEngine(things or Things(), policies), policies


def _ctx(client_id: str | None = "lamp-1", **extra: str) -> AuthContext:
    return context(client_id, der=DER, **extra)


def _lamp_registry(exclusive: bool = False, **attributes: str) -> Things:
    things = Things()
    things.add("lamp-1", "Light", **attributes)
    things.attach(CERT, "lamp-1", exclusive=exclusive)
    return things


# (name, statements, client id, action, resource, expected) -- from AWS IoT's policy examples
BASIC = [
    (
        "connect with own client id",
        [_allow("iot:Connect", client("${iot:ClientId}"))],
        "lamp-1",
        "iot:Connect",
        client("lamp-1"),
        True,
    ),
    (
        "connect listed client ids",
        [_allow("iot:Connect", [client("client1"), client("client2")])],
        "client2",
        "iot:Connect",
        client("client2"),
        True,
    ),
    (
        "connect other client id",
        [_allow("iot:Connect", client("client1"))],
        "client3",
        "iot:Connect",
        client("client3"),
        False,
    ),
    (
        "publish client-id topic",
        [_allow("iot:Publish", topic("my/topic/${iot:ClientId}"))],
        "lamp-1",
        "iot:Publish",
        topic("my/topic/lamp-1"),
        True,
    ),
    (
        "publish someone else's topic",
        [_allow("iot:Publish", topic("my/topic/${iot:ClientId}"))],
        "lamp-1",
        "iot:Publish",
        topic("my/topic/lamp-2"),
        False,
    ),
    (
        "subscribe filter with a literal +",
        [_allow("iot:Subscribe", topicfilter("my/+/topic"))],
        "x",
        "iot:Subscribe",
        topicfilter("my/+/topic"),
        True,
    ),
    (
        "subscribe: + in a policy is not a wildcard",
        [_allow("iot:Subscribe", topicfilter("my/+/topic"))],
        "x",
        "iot:Subscribe",
        topicfilter("my/a/topic"),
        False,
    ),
    (
        "receive with a * wildcard",
        [_allow("iot:Receive", topic("sensors/*"))],
        "x",
        "iot:Receive",
        topic("sensors/a/b"),
        True,
    ),
    ("action wildcard", [_allow("iot:*", "*")], "x", "iot:RetainPublish", topic("a"), True),
    ("action is case-insensitive", [_allow("IOT:PUBLISH", "*")], "x", "iot:Publish", topic("a"), True),
    (
        "nothing attached covers it",
        [_allow("iot:Publish", topic("a"))],
        "x",
        "iot:Subscribe",
        topicfilter("a"),
        False,
    ),
    (
        "NotAction allows everything else",
        [{"Effect": "Allow", "NotAction": "iot:Connect", "Resource": "*"}],
        "x",
        "iot:Publish",
        topic("a"),
        True,
    ),
    (
        "NotAction does not allow the named action",
        [{"Effect": "Allow", "NotAction": "iot:Connect", "Resource": "*"}],
        "x",
        "iot:Connect",
        client("x"),
        False,
    ),
    (
        "NotResource",
        [{"Effect": "Allow", "Action": "iot:Publish", "NotResource": topic("admin/*")}],
        "x",
        "iot:Publish",
        topic("admin/reboot"),
        False,
    ),
    (
        "NotResource elsewhere",
        [{"Effect": "Allow", "Action": "iot:Publish", "NotResource": topic("admin/*")}],
        "x",
        "iot:Publish",
        topic("data/1"),
        True,
    ),
    (
        "explicit deny beats allow",
        [_allow("iot:Connect", "*"), _deny("iot:Connect", [client("client1"), client("client2")])],
        "client1",
        "iot:Connect",
        client("client1"),
        False,
    ),
    (
        "deny of others leaves the allow",
        [_allow("iot:Connect", "*"), _deny("iot:Connect", [client("client1"), client("client2")])],
        "client3",
        "iot:Connect",
        client("client3"),
        True,
    ),
    (
        "deny with NotResource",
        [
            _allow("iot:Publish", "*"),
            {"Effect": "Deny", "Action": "iot:Publish", "NotResource": topic("${iot:ClientId}/*")},
        ],
        "lamp-1",
        "iot:Publish",
        topic("lamp-2/x"),
        False,
    ),
    (
        "source ip condition",
        [_allow("iot:Connect", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}})],
        "x",
        "iot:Connect",
        client("x"),
        True,
    ),
    (
        "source ip condition fails",
        [_allow("iot:Connect", "*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/24"}})],
        "x",
        "iot:Connect",
        client("x"),
        False,
    ),
    (
        "client id condition",
        [_allow("iot:Connect", "*", Condition={"StringLike": {"iot:ClientId": "lamp-*"}})],
        "lamp-9",
        "iot:Connect",
        client("lamp-9"),
        True,
    ),
    (
        "ClientId variable in a condition",
        [_allow("iot:Publish", "*", Condition={"StringEquals": {"iot:Topic": "t/${iot:ClientId}"}})],
        "lamp-1",
        "iot:Publish",
        topic("t/lamp-1"),
        True,
    ),
    (
        "no client id: ${iot:ClientId} unresolved",
        [_allow("iot:Publish", topic("${iot:ClientId}"))],
        None,
        "iot:Publish",
        topic("None"),
        False,
    ),
    (
        "certificate common name",
        [_allow("iot:Publish", topic("${iot:Certificate.Subject.CommonName}/*"))],
        "x",
        "iot:Publish",
        topic("lamp-1/state"),
        True,
    ),
    (
        "certificate second OU",
        [_allow("iot:Publish", topic("${iot:Certificate.Subject.OrganizationalUnit.1}/*"))],
        "x",
        "iot:Publish",
        topic("Floor2/a"),
        True,
    ),
    (
        "certificate index out of range",
        [_allow("iot:Publish", topic("${iot:Certificate.Subject.OrganizationalUnit.2}/*"))],
        "x",
        "iot:Publish",
        topic("/a"),
        False,
    ),
    (
        "certificate SAN",
        [_allow("iot:Publish", topic("dns/${iot:Certificate.Subject.AlternativeName.DNSName}"))],
        "x",
        "iot:Publish",
        topic("dns/lamp-1.example.com"),
        True,
    ),
    (
        "certificate issuer",
        [_allow("iot:Publish", topic("${iot:Certificate.Issuer.CommonName}"))],
        "x",
        "iot:Publish",
        topic("Test CA"),
        True,
    ),
    (
        "certificate attribute it does not have",
        [_allow("iot:Publish", topic("${iot:Certificate.Subject.Title}"))],
        "x",
        "iot:Publish",
        topic(""),
        False,
    ),
    (
        "certificate organisations: ForAllValues",
        [
            _allow(
                "iot:Publish",
                "*",
                Condition={
                    "ForAllValues:StringEquals": {
                        "iot:Certificate.Subject.Organization.List": ["Example Corp", "AnyCompany"]
                    }
                },
            )
        ],
        "x",
        "iot:Publish",
        topic("a"),
        True,
    ),
    (
        "certificate serial number",
        [_allow("iot:Connect", "*", Condition={"StringEquals": {"iot:Certificate.SerialNumber": "4242"}})],
        "x",
        "iot:Connect",
        client("x"),
        True,
    ),
    (
        "thing variable without a thing",
        [_allow("iot:Connect", client("${iot:Connection.Thing.ThingName}"))],
        "lamp-1",
        "iot:Connect",
        client("lamp-1"),
        False,
    ),
    (
        "IsAttached false without a thing",
        [_allow("iot:Connect", "*", Condition={"Bool": {"iot:Connection.Thing.IsAttached": "true"}})],
        "lamp-1",
        "iot:Connect",
        client("lamp-1"),
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "statements", "client_id", "action", "resource", "expected"),
    BASIC,
    ids=[case[0] for case in BASIC],
)
def test_documented_examples(
    name: str,
    statements: list[dict[str, Any]],
    client_id: str | None,
    action: str,
    resource: str,
    expected: bool,
) -> None:
    engine, _ = _engine(*statements)
    assert engine.authorize(_ctx(client_id), action, resource).allowed is expected


THING_POLICY = [
    _allow(
        "iot:Connect",
        client("${iot:Connection.Thing.ThingName}"),
        Condition={"Bool": {"iot:Connection.Thing.IsAttached": "true"}},
    ),
    _allow("iot:Publish", topic("things/${iot:Connection.Thing.ThingName}/*")),
    _allow(
        "iot:Publish",
        topic("floors/${iot:Connection.Thing.Attributes[floor]}"),
        Condition={"StringEquals": {"iot:Connection.Thing.ThingTypeName": "Light"}},
    ),
]


def test_thing_variables_when_the_client_id_is_the_thing_name() -> None:
    engine, _ = _engine(*THING_POLICY, things=_lamp_registry(floor="2"))
    ctx = _ctx("lamp-1")
    assert engine.authorize(ctx, "iot:Connect", client("lamp-1")).allowed
    assert engine.authorize(ctx, "iot:Publish", topic("things/lamp-1/state")).allowed
    assert not engine.authorize(ctx, "iot:Publish", topic("things/lamp-2/state")).allowed
    assert engine.authorize(ctx, "iot:Publish", topic("floors/2")).allowed
    assert not engine.authorize(ctx, "iot:Publish", topic("floors/3")).allowed


def test_thing_variables_need_the_client_id_unless_the_attachment_is_exclusive() -> None:
    engine, _ = _engine(*THING_POLICY, things=_lamp_registry(floor="2"))
    assert not engine.authorize(_ctx("other-id"), "iot:Connect", client("other-id")).allowed
    assert not engine.authorize(_ctx("other-id"), "iot:Publish", topic("things/lamp-1/state")).allowed
    exclusive, _ = _engine(*THING_POLICY, things=_lamp_registry(exclusive=True, floor="2"))
    assert exclusive.authorize(_ctx("other-id"), "iot:Publish", topic("things/lamp-1/state")).allowed
    # the Connect resource names the thing, so another client id still does not match it
    assert not exclusive.authorize(_ctx("other-id"), "iot:Connect", client("other-id")).allowed


def test_thing_group_policies_apply_to_the_connection_thing() -> None:
    things = _lamp_registry()
    parent, child = f"{ARN}:thinggroup/building", f"{ARN}:thinggroup/floor2"
    things.groups["lamp-1"] = [child, parent]
    policies = Policies()
    policies.put("parent", policy(_allow("iot:Publish", topic("building/*"))), parent)
    policies.put("child-deny", policy(_deny("iot:Publish", topic("building/secret"))), child)
    engine = PolicyEngine(things, policies)
    assert engine.authorize(_ctx("lamp-1"), "iot:Publish", topic("building/lobby")).allowed
    denied = engine.authorize(_ctx("lamp-1"), "iot:Publish", topic("building/secret"))
    assert (denied.allowed, denied.policy, denied.reason) == (False, "child-deny", "explicit deny")
    # a client id that is not the thing's name: the group's policies do not apply
    assert not engine.authorize(_ctx("stranger"), "iot:Publish", topic("building/lobby")).allowed


def test_decision_names_the_statement() -> None:
    engine, _ = _engine(_allow("iot:Connect", client("a")), _allow("iot:Publish", topic("a/*"), Sid="pub"))
    decision = engine.authorize(_ctx(), "iot:Publish", topic("a/b"))
    assert (decision.allowed, decision.policy, decision.policy_version, decision.statement_index) == (
        True,
        "device",
        "1",
        1,
    )
    assert decision.statement is not None and '"Sid":"pub"' in decision.statement
    implicit = engine.authorize(_ctx(), "iot:Publish", topic("b"))
    assert (implicit.allowed, implicit.policy, implicit.reason) == (False, None, "no statement allows")


def test_no_principal_no_policies() -> None:
    engine, _ = _engine(_allow("iot:*", "*"))
    assert not engine.authorize(context("x", principal=None), "iot:Connect", client("x")).allowed


def test_extra_keys_from_the_broker() -> None:
    statements = [
        _allow(
            "iot:Connect",
            "*",
            Condition={
                "ForAllValues:StringEquals": {"iot:ConnectAttributes": ["PersistentConnect", "LastWill"]}
            },
        ),
        _allow("iot:Receive", "*", Condition={"StringLike": {"iot:Topic": "ok/*"}}),
    ]
    engine, _ = _engine(*statements)
    assert engine.authorize(
        _ctx(**{"iot:ConnectAttributes": "PersistentConnect,LastWill"}), "iot:Connect", client("x")
    ).allowed
    assert not engine.authorize(
        _ctx(**{"iot:ConnectAttributes": "PersistentConnect,CleanSession"}), "iot:Connect", client("x")
    ).allowed
    assert engine.authorize(_ctx(**{"iot:Topic": "ok/1"}), "iot:Receive", topic("ignored")).allowed


def test_a_stored_document_that_no_longer_parses_grants_nothing() -> None:
    policies = Policies()
    policies.put("broken", "{", CERT)
    policies.put("good", policy(_allow("iot:Connect", "*")), CERT)
    engine = PolicyEngine(Things(), policies)
    assert engine.authorize(_ctx(), "iot:Connect", client("x")).policy == "good"


def test_decisions_are_cached_for_ttl_and_invalidate_drops_them() -> None:
    clock = [100.0]
    policies = Policies()
    policies.put("device", policy(_allow("iot:Publish", topic("a"))), CERT)
    engine = PolicyEngine(Things(), policies, ttl=1.0, monotonic=lambda: clock[0])
    assert engine.authorize(_ctx(), "iot:Publish", topic("a")).allowed
    policies.targets.clear()  # detached
    assert engine.authorize(_ctx(), "iot:Publish", topic("a")).allowed  # still cached
    clock[0] += 1.5
    assert not engine.authorize(_ctx(), "iot:Publish", topic("a")).allowed
    policies.targets[CERT] = ["device"]
    engine.invalidate()
    assert engine.authorize(_ctx(), "iot:Publish", topic("a")).allowed


def test_the_connection_is_resolved_once_for_many_topics() -> None:
    engine, policies = _engine(_allow("iot:Publish", topic("${iot:ClientId}/*")))
    for i in range(50):
        assert engine.authorize(_ctx(), "iot:Publish", topic(f"lamp-1/{i}")).allowed
    assert policies.calls == 1


def test_a_2008_document_has_no_variables() -> None:
    statement = _allow("iot:Publish", topic("${iot:ClientId}/*"))
    policies = Policies()
    policies.put("old", json.dumps({"Version": "2008-10-17", "Statement": [statement]}), CERT)
    policies.put("unversioned", json.dumps({"Statement": [statement]}), CERT)
    engine = PolicyEngine(Things(), policies)
    assert not engine.authorize(_ctx(), "iot:Publish", topic("lamp-1/a")).allowed
    assert engine.authorize(_ctx(), "iot:Publish", topic("${iot:ClientId}/a")).policy == "old"
