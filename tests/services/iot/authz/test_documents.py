"""parse_policy: the documents CreatePolicy accepts and the MalformedPolicyException it raises."""

from __future__ import annotations

import json

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.iot.authz import parse_policy, policy_problem

ALLOW_ALL = {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}


def _doc(*statements: object, version: object = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def test_a_statement_object_or_list_and_both_versions() -> None:
    single = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": ALLOW_ALL}))
    assert len(single.statements) == 1 and single.statements[0].allow
    listed = parse_policy(_doc(ALLOW_ALL, {**ALLOW_ALL, "Effect": "Deny", "Sid": "no"}, version="2008-10-17"))
    assert listed.version == "2008-10-17"
    assert [s.allow for s in listed.statements] == [True, False]
    assert listed.statements[1].sid == "no" and listed.statements[1].index == 1
    assert parse_policy(json.dumps({"Statement": [ALLOW_ALL]})).version == "2008-10-17"


def test_statement_text_is_kept_for_explanations() -> None:
    parsed = parse_policy(_doc({"Effect": "Allow", "Action": ["iot:Connect"], "Resource": ["*"]}))
    assert json.loads(parsed.statements[0].text) == {
        "Effect": "Allow",
        "Action": ["iot:Connect"],
        "Resource": ["*"],
    }


def test_not_action_not_resource_and_conditions_parse() -> None:
    parsed = parse_policy(
        _doc(
            {
                "Effect": "Deny",
                "NotAction": ["iot:Connect"],
                "NotResource": "arn:aws:iot:us-east-1:123456789012:topic/ok/*",
                "Condition": {
                    "StringEquals": {"iot:ClientId": ["a", "b"]},
                    "ForAnyValue:StringLikeIfExists": {"iot:ConnectAttributes": "Persistent*"},
                    "Bool": {"iot:Connection.Thing.IsAttached": True},
                    "NumericLessThan": {"iot:KeepAliveTime": 60},
                },
            }
        )
    )
    statement = parsed.statements[0]
    assert statement.not_action and statement.not_resource and len(statement.conditions) == 4
    assert [c.values[0].text for c in statement.conditions][-2:] == ["true", "60"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Policy document is Malformed"),
        ("[]", "Policy document is Malformed"),
        (
            _doc(ALLOW_ALL, version="2020-01-01"),
            "Policy document is Malformed: Invalid policy version: 2020-01-01",
        ),
        (json.dumps({"Version": "2012-10-17"}), "Policy document is Malformed: Invalid policy syntax."),
        (_doc(), "Policy document is Malformed: Invalid policy syntax."),
        (_doc("Allow"), "Policy document is Malformed: Invalid policy syntax."),
        (_doc({**ALLOW_ALL, "Effect": "allow"}), "Policy document is Malformed: Invalid policy syntax."),
        (_doc({"Effect": "Allow", "Resource": "*"}), "Policy document is Malformed: Invalid policy syntax."),
        (
            _doc({"Effect": "Allow", "Action": "iot:*", "NotAction": "iot:Connect", "Resource": "*"}),
            "Policy document is Malformed: Invalid policy syntax.",
        ),
        (
            _doc({"Effect": "Allow", "Action": "iot:*"}),
            "Policy document is Malformed: Invalid policy syntax.",
        ),
        (
            _doc({**ALLOW_ALL, "Principal": "*"}),
            "Policy document is Malformed: Invalid policy element: Principal",
        ),
        (_doc({**ALLOW_ALL, "Action": []}), "Policy document is Malformed: Invalid Action element."),
        (_doc({**ALLOW_ALL, "Action": [3]}), "Policy document is Malformed: Invalid Action element."),
        (
            _doc({**ALLOW_ALL, "Action": ["iot:Publish", "publish"]}),
            "Policy document is Malformed: The following actions are invalid : publish",
        ),
        (
            _doc({**ALLOW_ALL, "Resource": ["\\", "topic/a"]}),
            "Policy document is Malformed: The following resources are invalid : \\, topic/a",
        ),
        (
            _doc({**ALLOW_ALL, "Condition": {"StringEqualz": {"iot:ClientId": "a"}}}),
            "Policy document is Malformed: Invalid Condition operator: StringEqualz",
        ),
        (
            _doc({**ALLOW_ALL, "Condition": {"ForSomeValues:StringEquals": {"iot:ClientId": "a"}}}),
            "Policy document is Malformed: Invalid Condition operator: ForSomeValues:StringEquals",
        ),
        (
            _doc({**ALLOW_ALL, "Condition": {"StringEquals": "a"}}),
            "Policy document is Malformed: Invalid Condition element: StringEquals",
        ),
        (
            _doc({**ALLOW_ALL, "Condition": {"StringEquals": {"iot:ClientId": {"a": 1}}}}),
            "Policy document is Malformed: Invalid Condition value for StringEquals: iot:ClientId",
        ),
        (
            _doc({**ALLOW_ALL, "Resource": [f"arn:aws:iot:us-east-1:123456789012:topic/{'x' * 2100}"]}),
            "Policy document is Malformed: Policy document exceeds the maximum length of 2048 characters",
        ),
    ],
)
def test_malformed_documents(text: str, message: str) -> None:
    with pytest.raises(AwsError) as raised:
        parse_policy(text)
    assert (raised.value.code, raised.value.status, raised.value.message) == (
        "MalformedPolicyException",
        400,
        message,
    )


def test_whitespace_does_not_count_toward_the_size() -> None:
    statements = [
        {**ALLOW_ALL, "Resource": f"arn:aws:iot:us-east-1:123456789012:topic/t{i}"} for i in range(12)
    ]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=8)
    assert len(text) > 2048
    assert len(parse_policy(text).statements) == 12


def test_policy_problem_for_the_policy_store() -> None:
    assert policy_problem(_doc(ALLOW_ALL)) is None
    assert policy_problem("{") == "Invalid policy syntax."
    assert (
        policy_problem(_doc({**ALLOW_ALL, "Resource": "topic/a"}))
        == "The following resources are invalid : topic/a"
    )
    big = _doc({**ALLOW_ALL, "Resource": [f"arn:aws:iot:us-east-1:123456789012:topic/{'x' * 2100}"]})
    assert policy_problem(big) is None  # the store applies the size quota (off in relaxed mode)
