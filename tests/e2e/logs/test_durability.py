"""Log groups, streams and every acknowledged event survive kill -9; IAM roles and policies too."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

GROUP = "/aws/lambda/durable"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_logs_and_roles_survive_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        logs, iam = client_for(server.endpoint, "logs"), client_for(server.endpoint, "iam")
        logs.create_log_group(logGroupName=GROUP)
        logs.put_retention_policy(logGroupName=GROUP, retentionInDays=7)
        logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
        now = int(float(server.admin("GET", "clock")["now"]) * 1000)
        for batch in range(20):
            events = [{"timestamp": now + batch * 50 + i, "message": f"e{batch}-{i}"} for i in range(50)]
            logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=events)
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
        iam.put_role_policy(
            RoleName="fn",
            PolicyName="p",
            PolicyDocument=json.dumps(
                TRUST | {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        policy = iam.create_policy(
            PolicyName="mp",
            PolicyDocument=json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
            ),
        )
        iam.attach_role_policy(RoleName="fn", PolicyArn=policy["Policy"]["Arn"])
        server.kill()

        server = durable_server(data_dir).start()
        logs, iam = client_for(server.endpoint, "logs"), client_for(server.endpoint, "iam")
        assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 7
        messages = [
            e["message"]
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP)
            for e in page["events"]
        ]
        assert messages == [f"e{b}-{i}" for b in range(20) for i in range(50)]
        stream = logs.describe_log_streams(logGroupName=GROUP)["logStreams"][0]
        assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (now, now + 999)
        again = iam.get_role(RoleName="fn")["Role"]
        assert (again["RoleId"], again["AssumeRolePolicyDocument"]) == (role["RoleId"], TRUST)
        assert iam.list_role_policies(RoleName="fn")["PolicyNames"] == ["p"]
        assert [
            p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"]
        ] == ["mp"]
        # a stream made after the restart gets a partition of its own
        logs.create_log_stream(logGroupName=GROUP, logStreamName="t")
        assert logs.get_log_events(logGroupName=GROUP, logStreamName="t")["events"] == []
    finally:
        server.stop()
