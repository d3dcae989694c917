"""Kinesis channels end to end with boto3: a stream's records delivered to a bucket under the
channel's OutputKeyTemplate and CompressionType (bytes checked), the control plane's states and
AWS's errors, StreamFilter, and delivery resuming after kill -9."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cramjam
import pytest
from botocore.exceptions import ClientError

from tests.e2e.firehose.support import objects
from tests.e2e.support.clients import client_for
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import Server, durable_server

ROLE = "arn:aws:iam::000000000000:role/channels"
OWNER = "000000000000"


def on_demand(kinesis: Any, name: str, mode: str = "ON_DEMAND") -> str:
    if mode == "ON_DEMAND":
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def s3_destination(bucket: str, compression: str = "NONE", **storage: Any) -> dict[str, Any]:
    return {
        "StorageConfiguration": {
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "ExpectedBucketOwner": OWNER,
            "CompressionType": compression,
            **storage,
        }
    }


def create(kinesis: Any, name: str, stream_arn: str, fmt: str = "JSON", **destination: Any) -> dict[str, Any]:
    return dict(
        kinesis.create_channel(
            ChannelName=name,
            ServiceExecutionRoleARN=ROLE,
            StreamConfigurationList=[
                {"StreamARN": stream_arn, "RecordConfiguration": {"RecordFormatType": fmt}}
            ],
            **destination,
        )["ChannelDescription"]
    )


def status(kinesis: Any, arn: str, wanted: str) -> dict[str, Any]:
    return dict(
        wait_for(
            lambda: (
                (d := kinesis.describe_channel(ChannelARN=arn)["ChannelDescription"])["ChannelStatus"]
                == wanted
                and d
            ),
            10,
            f"channel {arn} {wanted}",
        )
    )


def put(kinesis: Any, stream: str, texts: list[str]) -> list[bytes]:
    datas = [f"{t}\n".encode() for t in texts]
    for start in range(0, len(datas), 500):
        chunk = datas[start : start + 500]
        answer = kinesis.put_records(
            StreamName=stream, Records=[{"Data": d, "PartitionKey": d.decode()} for d in chunk]
        )
        assert answer["FailedRecordCount"] == 0
    return datas


def delivered(
    server: Server, s3: Any, bucket: str, expected: set[bytes], decode: Callable[[bytes], bytes]
) -> list[tuple[str, bytes]]:
    """Advances the clock past the freshness limit until every expected line is in the bucket."""

    def arrived() -> list[tuple[str, bytes]] | None:
        server.advance(300)
        found = objects(s3, bucket)
        lines = {line for _, body in found for line in decode(body).splitlines(keepends=True)}
        return found if expected <= lines else None

    return list(wait_for(arrived, 30, f"{len(expected)} records in {bucket}"))


def code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_a_channel_delivers_under_its_template_gzipped(kinesis: Any, s3: Any, server: Server) -> None:
    arn = on_demand(kinesis, "clicks")
    s3.create_bucket(Bucket="lake")
    put(kinesis, "clicks", ["before-0", "before-1"])  # no backfill: never delivered
    template = "raw/!{channel-name}/!{yyyy}-!{MM}-!{dd}/!{HH}/part-!{channel-id}!{extension}"
    answer = create(
        kinesis,
        "clicks-to-lake",
        arn,
        S3DestinationConfiguration=s3_destination("lake", "GZIP", OutputKeyTemplate=template),
    )
    assert answer["ChannelStatus"] == "CREATING"
    assert answer["ChannelARN"].endswith(":channel/clicks-to-lake")
    channel_id = answer["ChannelId"]
    described = status(kinesis, answer["ChannelARN"], "ACTIVE")
    destination = described["S3DestinationConfiguration"]
    assert destination["DataFreshnessInSeconds"] == 300
    assert destination["StorageConfiguration"]["OutputKeyTemplate"] == template
    assert destination["DeadLetterQueueS3Configuration"]["BucketARN"] == "arn:aws:s3:::lake"
    assert described["StreamConfigurationList"][0]["StreamARN"] == arn
    assert described["LoggingConfiguration"] == {"CloudWatchLogs": {"Enabled": False}}
    sent = put(kinesis, "clicks", [f"click-{i}" for i in range(300)])
    found = delivered(server, s3, "lake", set(sent), gzip.decompress)
    key = re.compile(
        rf"raw/clicks-to-lake/\d{{4}}-\d{{2}}-\d{{2}}/\d{{2}}/part-{channel_id}-[0-9a-f]{{16}}\.gz"
    )
    assert all(key.fullmatch(k) for k, _ in found), [k for k, _ in found]
    lines = [line for _, body in found for line in gzip.decompress(body).splitlines(keepends=True)]
    assert set(lines) == set(sent)  # the records put before the channel stayed behind
    # an internal delivery: Firehose's API does not list it
    firehose = client_for(server.endpoint, "firehose")
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_the_default_template_and_zstd(kinesis: Any, s3: Any, server: Server) -> None:
    arn = on_demand(kinesis, "orders")
    s3.create_bucket(Bucket="archive")
    answer = create(
        kinesis, "orders-archive", arn, "STRING", S3DestinationConfiguration=s3_destination("archive", "ZSTD")
    )
    status(kinesis, answer["ChannelARN"], "ACTIVE")
    sent = put(kinesis, "orders", [f"order-{i}" for i in range(50)])

    def unzstd(body: bytes) -> bytes:
        return bytes(cramjam.zstd.decompress(body))

    found = delivered(server, s3, "archive", set(sent), unzstd)
    cid = answer["ChannelId"]
    key = re.compile(
        rf"kinesis-channel/orders-archive/{cid}/(\d{{4}})/(\d{{2}})/(\d{{2}})/(\d{{2}})/"
        rf"orders-archive-{cid}-\1-\2-\3-\4-\d{{2}}-[0-9a-f]{{16}}\.zst"
    )
    assert all(key.fullmatch(k) for k, _ in found), [k for k, _ in found]
    assert all(body[:4] == b"\x28\xb5\x2f\xfd" for _, body in found)  # zstd frames


def test_uncompressed_bytes_are_the_records(kinesis: Any, s3: Any, server: Server) -> None:
    arn = on_demand(kinesis, "plain")
    s3.create_bucket(Bucket="plain-bucket")
    answer = create(
        kinesis,
        "plain-ch",
        arn,
        "BYTE_ARRAY",
        S3DestinationConfiguration=s3_destination("plain-bucket", OutputKeyTemplate="!{channel-name}/obj"),
    )
    status(kinesis, answer["ChannelARN"], "ACTIVE")
    sent = put(kinesis, "plain", ["a", "b", "c"])
    found = delivered(server, s3, "plain-bucket", set(sent), lambda b: b)
    assert all(re.fullmatch(r"plain-ch/obj-[0-9a-f]{16}", k) for k, _ in found)
    assert sorted(b"".join(body for _, body in found).splitlines(keepends=True)) == sorted(sent)


def test_control_plane_and_errors(kinesis: Any, s3: Any) -> None:
    arn = on_demand(kinesis, "events")
    other = on_demand(kinesis, "metrics")
    provisioned = on_demand(kinesis, "fixed", mode="PROVISIONED")
    s3.create_bucket(Bucket="dest")
    dest = s3_destination("dest")
    first = create(kinesis, "events-a", arn, S3DestinationConfiguration=dest)
    second = create(
        kinesis, "metrics-a", other, S3DestinationConfiguration={**dest, "DataFreshnessInSeconds": 900}
    )
    status(kinesis, first["ChannelARN"], "ACTIVE")
    status(kinesis, second["ChannelARN"], "ACTIVE")

    def refused(call: Callable[[], Any]) -> str:
        with pytest.raises(ClientError) as info:
            call()
        return code(info)

    missing = arn.replace("stream/events", "stream/nothing")
    assert (
        refused(lambda: create(kinesis, "events-a", arn, S3DestinationConfiguration=dest))
        == "ResourceInUseException"
    )
    assert (
        refused(lambda: create(kinesis, "x", missing, S3DestinationConfiguration=dest))
        == "ResourceNotFoundException"
    )
    assert (
        refused(lambda: create(kinesis, "x", provisioned, S3DestinationConfiguration=dest))
        == "ValidationException"
    )
    assert refused(lambda: create(kinesis, "x", arn)) == "ValidationException"  # no destination
    assert (
        refused(lambda: create(kinesis, "x", arn, "GSR_JSON", S3DestinationConfiguration=dest))
        == "ValidationException"
    )
    assert (
        refused(
            lambda: create(
                kinesis, "x", arn, S3DestinationConfiguration={**dest, "DataFreshnessInSeconds": 60}
            )
        )
        == "ValidationException"
    )
    for template in ("a/../!{yyyy}", "/!{yyyy}", "!{yyyy}/", "!{nope}/x", "plain", "!{extension}/!{yyyy}"):
        bad = s3_destination("dest", OutputKeyTemplate=template)
        assert (
            refused(lambda bad=bad: create(kinesis, "x", arn, S3DestinationConfiguration=bad))
            == "ValidationException"
        ), template
    assert (
        refused(lambda: create(kinesis, "x", arn, S3DestinationConfiguration=dest))
        == "LimitExceededException"
    )
    unknown = first["ChannelARN"].replace("events-a", "unknown")
    assert refused(lambda: kinesis.describe_channel(ChannelARN=unknown)) == "ResourceNotFoundException"
    assert refused(lambda: kinesis.delete_channel(ChannelARN=unknown)) == "ResourceNotFoundException"

    # ListChannels: all, by stream, by page
    everything = kinesis.list_channels()["ChannelSummaries"]
    assert [c["ChannelName"] for c in everything] == ["events-a", "metrics-a"]
    assert everything[0]["ChannelDestinationType"] == "S3" and everything[0]["Streams"][0]["StreamARN"] == arn
    filtered = kinesis.list_channels(StreamFilter=[{"StreamARN": other}])["ChannelSummaries"]
    assert [c["ChannelName"] for c in filtered] == ["metrics-a"]
    page = kinesis.list_channels(MaxResults=1)
    assert [c["ChannelName"] for c in page["ChannelSummaries"]] == ["events-a"]
    rest = kinesis.list_channels(MaxResults=1, NextToken=page["NextToken"])
    assert [c["ChannelName"] for c in rest["ChannelSummaries"]] == ["metrics-a"] and "NextToken" not in rest
    assert refused(lambda: kinesis.list_channels(NextToken="garbage")) == "InvalidArgumentException"

    # UpdateChannel: freshness and logging only, UPDATING then ACTIVE
    updated = kinesis.update_channel(
        ChannelARN=first["ChannelARN"],
        S3DestinationConfiguration={"DataFreshnessInSeconds": 600},
        LoggingConfiguration={"CloudWatchLogs": {"Enabled": True}},
    )["ChannelDescription"]
    assert updated["ChannelStatus"] == "UPDATING"
    described = status(kinesis, first["ChannelARN"], "ACTIVE")
    assert described["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 600
    logs = described["LoggingConfiguration"]["CloudWatchLogs"]
    assert logs == {
        "Enabled": True,
        "LogGroupName": f"/aws/kinesis/events-a/{first['ChannelId']}",
        "LogStreamName": "DestinationDelivery",
    }
    tables_update = {"S3TablesDestinationConfiguration": {"DataFreshnessInSeconds": 600}}
    assert (
        refused(lambda: kinesis.update_channel(ChannelARN=first["ChannelARN"], **tables_update))
        == "ValidationException"
    )
    assert (
        refused(
            lambda: kinesis.update_channel(
                ChannelARN=first["ChannelARN"], S3DestinationConfiguration={"DataFreshnessInSeconds": 5}
            )
        )
        == "ValidationException"
    )

    # a stream with channels cannot be deleted; once they are gone it can
    assert refused(lambda: kinesis.delete_stream(StreamName="events")) == "ResourceInUseException"
    kinesis.delete_channel(ChannelARN=first["ChannelARN"])
    wait_for(
        lambda: not kinesis.list_channels(StreamFilter=[{"StreamARN": arn}])["ChannelSummaries"],
        10,
        "channel gone",
    )
    assert (
        refused(lambda: kinesis.describe_channel(ChannelARN=first["ChannelARN"]))
        == "ResourceNotFoundException"
    )
    kinesis.delete_stream(StreamName="events")


def test_kill_9_then_records_are_still_delivered(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        kinesis = client_for(server.endpoint, "kinesis")
        arn = on_demand(kinesis, "durable")
        client_for(server.endpoint, "s3").create_bucket(Bucket="kept")
        answer = create(kinesis, "durable-ch", arn, S3DestinationConfiguration=s3_destination("kept", "GZIP"))
        status(kinesis, answer["ChannelARN"], "ACTIVE")
        sent = put(kinesis, "durable", [f"before-{i}" for i in range(500)])
        server.kill()  # buffered (300 s freshness), never written: read again after the restart
        server = durable_server(data_dir).start()
        kinesis = client_for(server.endpoint, "kinesis")
        assert (
            kinesis.describe_channel(ChannelARN=answer["ChannelARN"])["ChannelDescription"]["ChannelStatus"]
            == "ACTIVE"
        )
        sent += put(kinesis, "durable", [f"after-{i}" for i in range(500)])
        delivered(server, client_for(server.endpoint, "s3"), "kept", set(sent), gzip.decompress)
    finally:
        server.stop()
