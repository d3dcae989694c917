"""The Roles port the functions service asks, and trust-policy reading."""

from __future__ import annotations

import asyncio
import json

from headwater.config import Config
from headwater.engine.memory import MemoryMetaStore
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.iam import roles
from headwater.services.iam.core import IamCore
from headwater.services.iam.documents import trusts
from headwater.services.ports import Roles

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def test_trust_policy_by_role_arn() -> None:
    async def scenario() -> None:
        core = IamCore(Config(account_id="000000000000"), MemoryMetaStore(), TestClock())
        ctx = RequestContext(account="111122223333", region="us-east-1", request_id="r")
        params = {"RoleName": "fn", "Path": "/app/", "AssumeRolePolicyDocument": TRUST}
        created = await roles.create_role(core, params, ctx)
        port: Roles = core
        assert port.trust_policy(created["Role"]["Arn"]) == TRUST
        assert port.trust_policy("arn:aws:iam::111122223333:role/app/FN") is None  # the name's case counts
        assert port.trust_policy("arn:aws:iam::111122223333:role/fn") is None  # so does the path
        assert port.trust_policy("arn:aws:iam::000000000000:role/app/fn") is None  # and the account
        assert port.trust_policy("not an arn") is None

    asyncio.run(scenario())


def test_trusts_reads_service_principals() -> None:
    assert trusts(TRUST, "lambda.amazonaws.com")
    assert not trusts(TRUST, "ec2.amazonaws.com")
    deny = TRUST.replace("Allow", "Deny")
    assert not trusts(deny, "lambda.amazonaws.com")
    listed = json.dumps(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        }
    )
    assert trusts(listed, "lambda.amazonaws.com")
    assert not trusts("{not json", "lambda.amazonaws.com")
