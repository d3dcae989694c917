"""CloudWatch Logs with boto3: groups, streams, PutLogEvents' rules, GetLogEvents' tokens,
FilterLogEvents across streams, tags and AWS's errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

GROUP = "/aws/lambda/orders"


def error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    return dict(info.value.response["Error"]) | {
        "Status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]
    }


@pytest.fixture
def logs(client: Callable[..., Any]) -> Any:
    return client("logs")


@pytest.fixture
def now(server: Any) -> Callable[[], int]:
    """The server's clock in epoch ms (other tests may have moved it ahead of this machine's)."""
    return lambda: int(float(server.admin("GET", "clock")["now"]) * 1000)


def put(logs: Any, stream: str, messages: list[str], start: int, group: str = GROUP) -> Any:
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_groups_streams_and_their_errors(logs: Any) -> None:
    logs.create_log_group(logGroupName=GROUP, tags={"team": "a"})
    assert (
        error(lambda: logs.create_log_group(logGroupName=GROUP))["Code"] == "ResourceAlreadyExistsException"
    )
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s1")
    assert error(lambda: logs.create_log_stream(logGroupName=GROUP, logStreamName="s1"))["Code"] == (
        "ResourceAlreadyExistsException"
    )
    missing = error(lambda: logs.create_log_stream(logGroupName="nope", logStreamName="s"))
    assert (missing["Code"], missing["Message"]) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    group = logs.describe_log_groups()["logGroups"][0]
    assert group["logGroupName"] == GROUP
    assert group["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{GROUP}:*"
    assert group["logGroupArn"] == group["arn"][:-2]
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {"team": "a"}
    logs.tag_resource(resourceArn=group["logGroupArn"], tags={"env": "dev"})
    logs.untag_resource(resourceArn=group["logGroupArn"], tagKeys=["team"])
    assert logs.list_tags_log_group(logGroupName=GROUP)["tags"] == {"env": "dev"}
    logs.delete_log_stream(logGroupName=GROUP, logStreamName="s1")
    gone = error(lambda: logs.delete_log_stream(logGroupName=GROUP, logStreamName="s1"))
    assert gone["Message"] == "The specified log stream does not exist."
    logs.delete_log_group(logGroupName=GROUP)
    assert logs.describe_log_groups()["logGroups"] == []


def test_describe_log_groups_prefix_pattern_and_pages(logs: Any) -> None:
    names = [f"/app/{i:02d}" for i in range(7)] + ["/other/Billing"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    assert [
        g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/other")["logGroups"]
    ] == ["/other/Billing"]
    assert len(logs.describe_log_groups(logGroupNamePattern="billing")["logGroups"]) == 1
    both = error(lambda: logs.describe_log_groups(logGroupNamePrefix="/a", logGroupNamePattern="b"))
    assert both["Code"] == "InvalidParameterException"
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix="/app/", PaginationConfig={"PageSize": 3}
    )
    seen = [[g["logGroupName"] for g in page["logGroups"]] for page in pages]
    assert [len(p) for p in seen] == [3, 3, 1]
    assert sum(seen, []) == names[:7]


def test_describe_log_streams_orders(logs: Any, now: Callable[[], int]) -> None:
    logs.create_log_group(logGroupName=GROUP)
    for name in ("b", "a", "c"):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
    base = now()
    put(logs, "c", ["x"], base)
    put(logs, "a", ["x"], base + 10)
    put(logs, "b", ["x"], base + 20)

    def names(**options: Any) -> list[str]:
        return [
            s["logStreamName"] for s in logs.describe_log_streams(logGroupName=GROUP, **options)["logStreams"]
        ]

    assert names() == ["a", "b", "c"]
    assert names(descending=True) == ["c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["c", "a", "b"]
    assert names(orderBy="LastEventTime", descending=True) == ["b", "a", "c"]
    assert names(logStreamNamePrefix="b") == ["b"]
    pages = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=GROUP, orderBy="LastEventTime", descending=True, PaginationConfig={"PageSize": 2}
    )
    assert [s["logStreamName"] for page in pages for s in page["logStreams"]] == ["b", "a", "c"]
    bad = error(lambda: names(orderBy="LastEventTime", logStreamNamePrefix="b"))
    assert bad["Code"] == "InvalidParameterException"
    stream = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="a")["logStreams"][0]
    assert stream["firstEventTimestamp"] == stream["lastEventTimestamp"] == base + 10
    assert stream["arn"].endswith(f"log-group:{GROUP}:log-stream:a")


def test_put_log_events_rules(logs: Any, now: Callable[[], int]) -> None:
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    start = now()
    # a sequence token is accepted and ignored, whatever it says
    first = logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": start, "message": "a"}],
        sequenceToken="123",
    )
    assert "nextSequenceToken" in first and "rejectedLogEventsInfo" not in first
    put(logs, "s", ["x"], start)
    backwards = [{"timestamp": start + 5, "message": "b"}, {"timestamp": start, "message": "c"}]
    unordered = error(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=backwards))
    assert (
        unordered["Message"] == "Log events in a single PutLogEvents request must be in chronological order."
    )
    day = 86_400_000
    span = error(
        lambda: logs.put_log_events(
            logGroupName=GROUP,
            logStreamName="s",
            logEvents=[{"timestamp": start - 2 * day, "message": "a"}, {"timestamp": start, "message": "b"}],
        )
    )
    assert "cannot span more than 24 hours" in span["Message"]
    events = [
        {"timestamp": start - 15 * day, "message": "too old"},
        {"timestamp": start - 15 * day + 1, "message": "too old"},
        {"timestamp": start - 15 * day + 2, "message": "too old"},
    ]
    old = logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=events)
    assert old["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 3}
    future = [
        {"timestamp": start + 1, "message": "ok"},
        {"timestamp": start + 3 * 3_600_000, "message": "too new"},
    ]
    new = logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=future)
    assert new["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    big = [{"timestamp": start, "message": "x" * 200_000}] * 6
    assert error(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=big))[
        "Code"
    ] == ("InvalidParameterException")
    missing = error(lambda: put(logs, "nope", ["x"], now()))
    assert missing["Message"] == "The specified log stream does not exist."
    got = logs.get_log_events(logGroupName=GROUP, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["a", "x", "ok"]


def test_get_log_events_tokens(logs: Any, now: Callable[[], int]) -> None:
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    base = now()
    put(logs, "s", [f"m{i}" for i in range(25)], base)
    head = logs.get_log_events(logGroupName=GROUP, logStreamName="s", startFromHead=True, limit=10)
    assert [e["message"] for e in head["events"]] == [f"m{i}" for i in range(10)]
    middle = logs.get_log_events(
        logGroupName=GROUP, logStreamName="s", nextToken=head["nextForwardToken"], limit=10
    )
    assert [e["message"] for e in middle["events"]] == [f"m{i}" for i in range(10, 20)]
    back = logs.get_log_events(
        logGroupName=GROUP, logStreamName="s", nextToken=middle["nextBackwardToken"], limit=5
    )
    assert [e["message"] for e in back["events"]] == [f"m{i}" for i in range(5, 10)]
    tail = logs.get_log_events(logGroupName=GROUP, logStreamName="s", nextToken=middle["nextForwardToken"])
    assert [e["message"] for e in tail["events"]] == [f"m{i}" for i in range(20, 25)]
    end = logs.get_log_events(logGroupName=GROUP, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert (
        end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]
    )  # AWS's end-of-stream sign
    put(logs, "s", ["late"], base + 100)
    more = logs.get_log_events(logGroupName=GROUP, logStreamName="s", nextToken=end["nextForwardToken"])
    assert [e["message"] for e in more["events"]] == ["late"]
    latest = logs.get_log_events(logGroupName=GROUP, logStreamName="s", limit=3)  # no token: the newest
    assert [e["message"] for e in latest["events"]] == ["m23", "m24", "late"]
    window = logs.get_log_events(
        logGroupName=GROUP, logStreamName="s", startTime=base + 3, endTime=base + 6, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["m3", "m4", "m5"]
    assert error(lambda: logs.get_log_events(logGroupName=GROUP, logStreamName="s", nextToken="junk"))[
        "Code"
    ] == ("InvalidParameterException")
    event = head["events"][0]
    assert event["timestamp"] == base and event["ingestionTime"] >= base - 1000


def test_filter_log_events_interleaves_and_pages(logs: Any, now: Callable[[], int]) -> None:
    logs.create_log_group(logGroupName=GROUP)
    for name in ("web-1", "web-2", "worker"):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
    base = now()
    put(logs, "web-1", ["GET / 200", "GET /x 404"], base)  # base, base+1
    put(logs, "web-2", ["GET /y 500", "GET /z 200"], base + 1)  # base+1, base+2
    put(logs, "worker", ['{"level": "ERROR", "ms": 900}', '{"level": "INFO", "ms": 5}'], base + 3)
    everything = logs.filter_log_events(logGroupName=GROUP)
    assert [e["timestamp"] for e in everything["events"]] == sorted(
        e["timestamp"] for e in everything["events"]
    )
    assert len(everything["events"]) == 6 and "nextToken" not in everything
    assert len({e["eventId"] for e in everything["events"]}) == 6
    web = logs.filter_log_events(logGroupName=GROUP, logStreamNamePrefix="web", filterPattern="?404 ?500")
    assert [(e["logStreamName"], e["message"]) for e in web["events"]] == [
        ("web-1", "GET /x 404"),
        ("web-2", "GET /y 500"),
    ]
    slow = logs.filter_log_events(
        logGroupName=GROUP, logStreamNames=["worker"], filterPattern="{ $.ms > 100 }"
    )
    assert [e["message"] for e in slow["events"]] == ['{"level": "ERROR", "ms": 900}']
    timed = logs.filter_log_events(logGroupName=GROUP, startTime=base + 2, endTime=base + 4)
    assert [e["timestamp"] for e in timed["events"]] == [base + 2, base + 3]
    pages = list(
        logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP, PaginationConfig={"PageSize": 4})
    )
    assert [len(p["events"]) for p in pages] == [4, 2]
    ids = [e["eventId"] for p in pages for e in p["events"]]
    assert ids == [e["eventId"] for e in everything["events"]]
    bad = error(lambda: logs.filter_log_events(logGroupName=GROUP, filterPattern="{ $.ms > }"))
    assert bad["Code"] == "InvalidParameterException"


def test_retention_on_the_server_clock(logs: Any, now: Callable[[], int], server: Any) -> None:
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    bad = error(lambda: logs.put_retention_policy(logGroupName=GROUP, retentionInDays=2))
    assert bad["Code"] == "InvalidParameterException"
    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=1)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 1
    put(logs, "s", ["old one"], now())
    server.advance(86_400 * 2)
    put(logs, "s", ["new one"], now())
    events = logs.filter_log_events(logGroupName=GROUP)["events"]
    assert [e["message"] for e in events] == ["new one"]
    logs.delete_retention_policy(logGroupName=GROUP)
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]
