"""Bucket notifications: matching, AWS's event JSON, the durable outbox and delivery into SQS."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from headwater.engine.embedded import EmbeddedEngine
from headwater.runtime.clock import TestClock
from headwater.services.s3 import events
from headwater.services.s3.notifications import OUTBOX, matching, passes, wants
from headwater.services.s3.records import Bucket, ObjectVersion
from tests.services.s3 import harness
from tests.services.s3.harness import ACCOUNT, S3Harness, context, open_s3

CTX = context(request_id="REQ1")
ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:events"
QUEUE_URL = f"http://localhost:4566/{ACCOUNT}/events"


def queue_config(
    events_: list[str], *rules: tuple[str, str], arn: str = ARN, id_: str = "cfg"
) -> dict[str, Any]:
    config: dict[str, Any] = {"Id": id_, "QueueArn": arn, "Events": events_}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    return config


def bucket_with(*configs: dict[str, Any], versioning: str | None = None) -> Bucket:
    bucket = Bucket("photos", ACCOUNT, "us-east-1", 0, versioning=versioning)
    return bucket.with_config("notification", {"QueueConfigurations": list(configs)}) if configs else bucket


def obj(key: str = "a b/c.jpg", version_id: str = "null", size: int = 3) -> ObjectVersion:
    etag = '"' + hashlib.md5(b"abc").hexdigest() + '"'
    return ObjectVersion(key, version_id, 1_700_000_000_123, blobs=("b1",), size=size, etag=etag)


def run(body: Callable[[S3Harness], Awaitable[None]]) -> None:
    """The S3 core with its notifier delivering into a real SQS core that has the queue "events"."""

    async def test(h: S3Harness) -> None:
        await h.sqs_call("CreateQueue", QueueName="events")
        await body(h)

    harness.run(test, queues="sqs", ctx=CTX)


# -- matching ---------------------------------------------------------------------------------------


def test_event_names_match_exactly_or_by_wildcard() -> None:
    assert wants(["s3:ObjectCreated:*"], "ObjectCreated:Put")
    assert wants(["s3:ObjectCreated:*"], "ObjectCreated:CompleteMultipartUpload")
    assert wants(["s3:ObjectCreated:Post"], "ObjectCreated:Post")
    assert not wants(["s3:ObjectCreated:Post"], "ObjectCreated:Put")
    assert not wants(["s3:ObjectCreated:*"], "ObjectRemoved:Delete")
    assert wants(["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"], "ObjectRemoved:DeleteMarkerCreated")
    assert not wants(["s3:ObjectRemoved:*"], "LifecycleExpiration:Delete")
    assert wants(["s3:LifecycleExpiration:*"], "LifecycleExpiration:Delete")
    assert not wants([], "ObjectCreated:Put")


def test_prefix_and_suffix_filters_apply_to_the_raw_key() -> None:
    rules = {
        "Key": {"FilterRules": [{"Name": "prefix", "Value": "img/"}, {"Name": "Suffix", "Value": ".jpg"}]}
    }
    assert passes(rules, "img/a b.jpg")
    assert not passes(rules, "img/a.png")
    assert not passes(rules, "doc/a.jpg")
    assert passes(None, "anything")
    assert passes({"Key": {"FilterRules": []}}, "anything")


def test_matching_yields_each_wanting_queue_configuration() -> None:
    configuration = {
        "QueueConfigurations": [
            queue_config(["s3:ObjectCreated:*"], ("prefix", "img/"), id_="images"),
            queue_config(["s3:ObjectRemoved:*"], arn=ARN + "2", id_="removals"),
            queue_config(["s3:ObjectCreated:Put"], ("suffix", ".txt"), arn=ARN + "3", id_="texts"),
        ],
        "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:1:t", "Events": ["s3:ObjectCreated:*"]}],
    }
    assert list(matching(configuration, "ObjectCreated:Put", "img/x.txt")) == [
        ("images", ARN),
        ("texts", ARN + "3"),
    ]
    assert list(matching(configuration, "ObjectRemoved:Delete", "img/x.txt")) == [("removals", ARN + "2")]
    assert list(matching(configuration, "ObjectCreated:Copy", "doc/x.txt")) == []


# -- the event JSON ---------------------------------------------------------------------------------


def test_created_event_record_has_aws_shape() -> None:
    bucket = bucket_with()
    record = events.event_record(
        bucket,
        "ObjectCreated:Put",
        obj(),
        CTX,
        configuration_id="cfg",
        sequencer="00ABC",
        now_ms=1_700_000_000_007,
    )
    host_id = record["responseElements"].pop("x-amz-id-2")
    assert host_id
    assert record == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2023-11-14T22:13:20.007Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": ACCOUNT},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "REQ1"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "cfg",
            "bucket": {
                "name": "photos",
                "ownerIdentity": {"principalId": ACCOUNT},
                "arn": "arn:aws:s3:::photos",
            },
            "object": {
                "key": "a+b/c.jpg",
                "size": 3,
                "eTag": "900150983cd24fb0d6963f7d28e17f72",
                "sequencer": "00ABC",
            },
        },
    }


def test_removal_events_carry_no_size_or_etag_and_versions_show() -> None:
    bucket = bucket_with(versioning="Enabled")
    record = events.event_record(
        bucket,
        "ObjectRemoved:DeleteMarkerCreated",
        obj(version_id="v1"),
        CTX,
        configuration_id="c",
        sequencer="01",
        now_ms=0,
    )
    assert record["s3"]["object"] == {"key": "a+b/c.jpg", "versionId": "v1", "sequencer": "01"}
    lifecycle = events.event_record(
        bucket, "LifecycleExpiration:Delete", obj(), None, configuration_id="c", sequencer="02", now_ms=0
    )
    assert lifecycle["eventVersion"] == "2.3"
    assert lifecycle["userIdentity"] == {"principalId": "s3.amazonaws.com"}
    assert "size" not in lifecycle["s3"]["object"]


def test_keys_are_form_encoded_like_s3() -> None:
    assert events.encode_key("red flower.jpg") == "red+flower.jpg"
    assert events.encode_key("dt=2024-01-01/part 1.csv") == "dt%3D2024-01-01/part+1.csv"
    assert events.encode_key("a+b&c~*.txt") == "a%2Bb%26c%7E*.txt"
    assert events.encode_key("café.txt") == "caf%C3%A9.txt"


def test_event_time_is_iso_with_milliseconds() -> None:
    assert events.iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert events.iso_ms(1_413_215_822_089) == "2014-10-13T15:57:02.089Z"


def test_arn_partition_follows_region() -> None:
    bucket = Bucket("b", ACCOUNT, "cn-north-1", 0)
    record = events.event_record(
        bucket, "ObjectCreated:Put", obj(), CTX, configuration_id="", sequencer="0", now_ms=0
    )
    assert record["s3"]["bucket"]["arn"] == "arn:aws-cn:s3:::b"


# -- emitting and delivering ------------------------------------------------------------------------


def test_no_configuration_is_a_done_future_and_writes_nothing() -> None:
    async def body(h: S3Harness) -> None:
        done = h.notifier.emit(bucket_with(), "ObjectCreated:Put", obj(), CTX)
        assert isinstance(done, asyncio.Future) and done.done()
        await done
        unmatched = bucket_with(queue_config(["s3:ObjectRemoved:*"]))
        assert h.notifier.emit(unmatched, "ObjectCreated:Put", obj(), CTX) is done
        assert list(h.engine.meta.scan(OUTBOX)) == []

    run(body)


def test_an_event_is_delivered_to_the_queue_and_leaves_the_outbox() -> None:
    async def body(h: S3Harness) -> None:
        bucket = bucket_with(queue_config(["s3:ObjectCreated:*"], ("prefix", "a ")))
        await h.notifier.emit(bucket, "ObjectCreated:Put", obj(), CTX)
        [message] = await h.messages(1)
        [record] = message["Records"]
        assert record["eventName"] == "ObjectCreated:Put"
        assert record["s3"]["configurationId"] == "cfg"
        assert record["s3"]["object"]["key"] == "a+b/c.jpg"
        await h.drained()

    run(body)


def test_sequencers_increase_and_order_is_kept() -> None:
    async def body(h: S3Harness) -> None:
        bucket = bucket_with(queue_config(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
        writes = [h.notifier.emit(bucket, "ObjectCreated:Put", obj(size=n), CTX) for n in range(5)]
        writes.append(h.notifier.emit(bucket, "ObjectRemoved:Delete", obj(), CTX))
        await asyncio.gather(*writes)
        records = [m["Records"][0] for m in await h.messages(6)]
        sequencers = [r["s3"]["object"]["sequencer"] for r in records]
        assert all(len(s) == 18 for s in sequencers)
        assert sequencers == sorted(sequencers) and len(set(sequencers)) == 6
        assert [r["s3"]["object"].get("size") for r in records] == [0, 1, 2, 3, 4, None]

    run(body)


def test_events_for_a_deleted_queue_are_dropped() -> None:
    async def body(h: S3Harness) -> None:
        bucket = bucket_with(queue_config(["s3:ObjectCreated:*"], arn=ARN + "-gone"))
        await h.notifier.emit(bucket, "ObjectCreated:Put", obj(), CTX)
        await h.drained()
        assert h.notifier.unreachable(bucket.configs["notification"]) == [ARN + "-gone"]

    run(body)


def test_test_event_goes_to_each_configured_queue_once() -> None:
    async def body(h: S3Harness) -> None:
        bucket = bucket_with()
        configuration = {
            "QueueConfigurations": [
                queue_config(["s3:ObjectCreated:*"], id_="one"),
                queue_config(["s3:ObjectRemoved:*"], id_="two"),
            ]
        }
        assert h.notifier.unreachable(configuration) == []
        await h.notifier.test_event(bucket, configuration, CTX)
        [message] = await h.messages(1)
        assert message.pop("HostId")
        time = message.pop("Time")
        assert time.endswith("Z") and len(time) == len("2014-10-13T15:57:02.089Z")
        assert message == {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Bucket": "photos",
            "RequestId": "REQ1",
        }
        await h.drained()
        result = await h.sqs_call("ReceiveMessage", QueueUrl=QUEUE_URL)
        assert result.get("Messages", []) == []

    run(body)


def test_outbox_survives_a_restart_then_is_delivered(tmp_path: Path) -> None:
    """Entries written while the queue cannot take them (here: no SQS at all) stay on disk; a new
    core on the same data directory delivers them."""

    async def main() -> None:
        clock = TestClock()
        stored = {
            "engine": "embedded",
            "data_dir": tmp_path / "data",
            "clock": clock,
            "queues": "sqs",
            "ctx": CTX,
        }
        # the outbox entries are written, but the delivery task never starts (a crash right after)
        async with open_s3(**stored, background="none") as h:
            await h.sqs_call("CreateQueue", QueueName="events")
            bucket = bucket_with(queue_config(["s3:ObjectCreated:*"]))
            await h.notifier.emit(bucket, "ObjectCreated:Put", obj(key="k1"), CTX)
            await h.notifier.emit(bucket, "ObjectCreated:Post", obj(key="k2"), CTX)

        async with open_s3(**stored) as h:
            assert len(list(h.engine.meta.scan(OUTBOX))) in (0, 1, 2)  # delivery may have begun
            records = [m["Records"][0] for m in await h.messages(2)]
            assert [r["s3"]["object"]["key"] for r in records] == ["k1", "k2"]
            assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectCreated:Post"]
            await h.drained()

        engine = EmbeddedEngine(tmp_path / "data", "durable")
        await engine.start()
        try:
            assert list(engine.meta.scan(OUTBOX)) == []  # delivered entries stay deleted
        finally:
            await engine.close()

    asyncio.run(main())
