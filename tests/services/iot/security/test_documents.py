"""The first check of policy documents: AWS IoT's size quota (whitespace not counted, with limits
on), and the grammar the policy engine refines."""

from __future__ import annotations

import json

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.iot.security import documents


def _doc(resources: list[str], **statement: object) -> str:
    body = {"Effect": "Allow", "Action": ["iot:Publish"], "Resource": resources, **statement}
    return json.dumps({"Version": "2012-10-17", "Statement": [body]}, indent=4)


def test_the_size_quota_counts_no_whitespace() -> None:
    topics = [f"arn:aws:iot:us-east-1:123456789012:topic/t{i:03d}" for i in range(50)]
    small = _doc(topics[:30])
    assert len(small) > documents.MAX_CHARS  # the indentation does not count
    documents.check(small)
    big = _doc(topics)
    with pytest.raises(AwsError) as excinfo:
        documents.check(big)
    assert excinfo.value.code == "MalformedPolicyException"
    documents.check(big, limits=False)


def test_accepted_forms() -> None:
    documents.check('{"Statement": {"Effect": "Deny", "NotAction": "iot:Connect", "NotResource": "*"}}')
    documents.check(_doc(["*"], Condition={"Bool": {"iot:Connection.Thing.IsAttached": ["true"]}}, Sid="s1"))
    documents.check(_doc(["arn:aws:iot:*:*:topic/${iot:ClientId}/#"]))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"Statement": []}', "at least one statement"),
        (_doc(["*"], Condition=["x"]), "Condition"),
        (_doc([]), "Resource must be"),
        (_doc(["*"], Principal="*"), "Unknown field Principal"),
        (
            '{"Statement": [{"Effect": "Allow", "Action": "iot:*", "NotAction": "iot:Connect", "Resource": "*"}]}',
            "one of",
        ),
        ("[1]", "Invalid policy syntax"),
        ("{" * 100_000, "Invalid JSON"),
    ],
)
def test_refused_forms(text: str, reason: str) -> None:
    with pytest.raises(AwsError) as excinfo:
        documents.check(text, limits=False)
    assert excinfo.value.message.startswith("Policy document is Malformed: ")
    assert reason in excinfo.value.message
