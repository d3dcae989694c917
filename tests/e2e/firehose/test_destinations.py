"""HTTP endpoint, Splunk, OpenSearch and Redshift destinations end to end: CreateDeliveryStream and
PutRecordBatch with boto3 against a server that trusts the test's HTTPS receivers, what the
receivers got checked, failures written to the S3 error output with their documents, and a real
PostgreSQL server loaded through Redshift's COPY."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from headwater.runtime.tls import self_signed
from tests.e2e.firehose.receivers import Received, TlsReceiver
from tests.e2e.firehose.support import ROLE, wait_objects
from tests.e2e.support.postgres import Postgres, find_bindir
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import TEST_FLAGS, Server

ZERO = {"SizeInMBs": 1, "IntervalInSeconds": 0}  # zero buffering: delivered within moments


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("receiver-tls"), "127.0.0.1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tls: tuple[Path, Path]) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("fh-dest") / "data"
    data_dir.mkdir()
    running = Server(data_dir, "--durability", "fast", *TEST_FLAGS, env={"SSL_CERT_FILE": str(tls[0])})
    running.start()
    try:
        yield running
    finally:
        running.stop()


def client(server: Server, name: str) -> Any:
    return boto3.client(
        name, endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def staging(bucket: str, **extra: Any) -> dict[str, Any]:
    return {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", **extra}


def put(server: Server, stream: str, datas: list[bytes]) -> None:
    answer = client(server, "firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": d} for d in datas]
    )
    assert answer["FailedPutCount"] == 0


def error_documents(server: Server, bucket: str, prefix: str, count: int) -> list[dict[str, Any]]:
    found = wait_objects(client(server, "s3"), bucket, 1, prefix=prefix)
    documents = [json.loads(line) for _, body in found for line in body.splitlines()]
    assert len(documents) == count
    return documents


def test_http_endpoint(server: Server, tls: tuple[Path, Path]) -> None:
    def echo(request: Received) -> tuple[int, Any]:
        return 200, {"requestId": request.json()["requestId"], "timestamp": 1}

    client(server, "s3").create_bucket(Bucket="http-staging")
    with TlsReceiver(*tls, echo) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="to-http",
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": receiver.url + "/in", "AccessKey": "secret-key"},
                "RequestConfiguration": {
                    "CommonAttributes": [{"AttributeName": "team", "AttributeValue": "data"}]
                },
                "BufferingHints": ZERO,
                "S3Configuration": staging("http-staging"),
            },
        )
        datas = [b'{"n":1}\n', b'{"n":2}\n', bytes(range(10))]
        put(server, "to-http", datas)
        wait_for(lambda: receiver.requests, 20, "a request at the HTTP endpoint")
    request = receiver.requests[0]
    assert request.path == "/in"
    assert request.headers["x-amz-firehose-access-key"] == "secret-key"
    assert request.headers["x-amz-firehose-source-arn"].endswith(":deliverystream/to-http")
    assert json.loads(request.headers["x-amz-firehose-common-attributes"]) == {
        "commonAttributes": {"team": "data"}
    }
    assert [base64.b64decode(r["data"]) for r in request.json()["records"]] == datas


def test_http_endpoint_failures_go_to_the_error_output(server: Server, tls: tuple[Path, Path]) -> None:
    client(server, "s3").create_bucket(Bucket="http-errors")
    with TlsReceiver(*tls, lambda r: (500, {"errorMessage": "down"})) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="to-http-down",
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": receiver.url},
                "BufferingHints": ZERO,
                "RetryOptions": {"DurationInSeconds": 0},
                "S3BackupMode": "FailedDataOnly",
                "S3Configuration": staging("http-errors"),  # errors under <error-output-type>/
            },
        )
        put(server, "to-http-down", [b"lost?", b"no"])
        documents = error_documents(server, "http-errors", "http-endpoint-failed/", 2)
    assert [base64.b64decode(d["rawData"]) for d in documents] == [b"lost?", b"no"]
    assert {d["errorCode"] for d in documents} == {"HttpEndpoint.DestinationException"}
    assert all(d["attemptsMade"] == 1 for d in documents)


def test_splunk_event_endpoint(server: Server, tls: tuple[Path, Path]) -> None:
    def hec(request: Received) -> tuple[int, Any]:
        if request.path == "/services/collector/ack":
            return 200, {"acks": {str(a): True for a in request.json()["acks"]}}
        return 200, {"text": "Success", "code": 0, "ackId": 7}

    client(server, "s3").create_bucket(Bucket="splunk-staging")
    with TlsReceiver(*tls, hec) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="to-splunk",
            SplunkDestinationConfiguration={
                "HECEndpoint": receiver.url,
                "HECEndpointType": "Event",
                "HECToken": "tok-1",
                "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                "S3Configuration": staging("splunk-staging"),
            },
        )
        put(server, "to-splunk", [b"line one", b'{"event":"two"}'])
        wait_for(lambda: len(receiver.requests) >= 2, 20, "the event and its acknowledgement poll")
    post, ack = receiver.requests[:2]
    assert post.path == "/services/collector/event"
    assert post.headers["authorization"] == "Splunk tok-1"
    assert post.body == b'{"event":"line one"}{"event":"two"}'
    assert ack.json() == {"acks": [7]}


def test_opensearch_failed_documents_carry_their_index_and_id(server: Server, tls: tuple[Path, Path]) -> None:
    def bulk(request: Received) -> tuple[int, Any]:
        lines = request.body.splitlines()
        items = []
        for action, doc in zip(lines[::2], lines[1::2], strict=True):
            meta = json.loads(action)["index"]
            ok = json.loads(doc).get("ok", True)
            items.append(
                {"index": {**meta, "status": 201 if ok else 400, "error": None if ok else {"type": "bad"}}}
            )
        return 200, {"took": 1, "errors": True, "items": items}

    client(server, "s3").create_bucket(Bucket="os-staging")
    with TlsReceiver(*tls, bulk) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="to-os",
            AmazonopensearchserviceDestinationConfiguration={
                "RoleARN": ROLE,
                "ClusterEndpoint": receiver.url,
                "IndexName": "logs",
                "IndexRotationPeriod": "NoRotation",
                "BufferingHints": ZERO,
                "S3Configuration": staging("os-staging"),
            },
        )
        put(server, "to-os", [b'{"ok":true}', b'{"ok":false}'])
        [document] = error_documents(server, "os-staging", "AmazonOpenSearchService-failed/", 1)
    [request] = receiver.requests
    assert request.path == "/_bulk"
    ids = [json.loads(line)["index"]["_id"] for line in request.body.splitlines()[::2]]
    assert len(set(ids)) == 2
    assert base64.b64decode(document["rawData"]) == b'{"ok":false}'
    assert (document["esIndexName"], document["esDocumentId"], document["errorCode"]) == (
        "logs",
        ids[1],
        "400",
    )


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    bindir, reason = find_bindir()
    if bindir is None:
        pytest.skip(reason)
    server = Postgres(bindir).start()
    try:
        yield server
    finally:
        server.stop()


def test_redshift_copy_into_postgresql(server: Server, postgres: Postgres) -> None:
    postgres.execute("CREATE TABLE clicks (id int, page varchar(50), at timestamp)")
    client(server, "s3").create_bucket(Bucket="rs-staging")
    client(server, "firehose").create_delivery_stream(
        DeliveryStreamName="to-redshift",
        RedshiftDestinationConfiguration={
            "RoleARN": ROLE,
            # the API's pattern wants a *.redshift.* host: a .localhost name is this machine
            "ClusterJDBCURL": f"jdbc:redshift://pg.redshift.localhost:{postgres.port}/postgres",
            "CopyCommand": {
                "DataTableName": "clicks",
                "DataTableColumns": "id,page,at",
                "CopyOptions": "JSON 'auto' GZIP TIMEFORMAT 'epochmillisecs'",
            },
            "Username": postgres.user,
            "Password": postgres.password,
            "S3Configuration": staging(
                "rs-staging",
                CompressionFormat="GZIP",
                BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0},
            ),
        },
    )
    rows = [{"id": i, "page": f"/p/{i}", "at": 1700000000000 + i} for i in range(50)]
    put(server, "to-redshift", [json.dumps(r).encode() for r in rows])
    wait_for(lambda: postgres.execute("SELECT count(*) FROM clicks") == [(50,)], 30, "50 rows in clicks")
    assert postgres.execute("SELECT id, page FROM clicks WHERE id = 49") == [(49, "/p/49")]
    staged = wait_objects(client(server, "s3"), "rs-staging", 1)
    assert all(key.endswith(".gz") for key, _ in staged)


def test_copy_options_that_cannot_be_honoured_are_refused_at_creation(server: Server) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="rs-bad",
            RedshiftDestinationConfiguration={
                "RoleARN": ROLE,
                "ClusterJDBCURL": "jdbc:redshift://pg.redshift.localhost:5439/dev",
                "CopyCommand": {"DataTableName": "t", "CopyOptions": "FORMAT AS PARQUET"},
                "Username": "u",
                "Password": "secret1",
                "S3Configuration": staging("rs-bad"),
            },
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidArgumentException"
    assert "PARQUET" in error["Message"] and "not supported" in error["Message"]


def _metric_lines(server: Server, stream: str) -> list[str]:
    import urllib.request

    with urllib.request.urlopen(f"{server.endpoint}/_headwater/metrics") as answer:
        text = answer.read().decode()
    return [line for line in text.splitlines() if f'DeliveryStreamName="{stream}"' in line]


def test_destination_failures_are_logged_and_counted(server: Server, tls: tuple[Path, Path]) -> None:
    logs = client(server, "logs")
    client(server, "s3").create_bucket(Bucket="http-logged")
    answers = iter([(200, None), (503, {"errorMessage": "busy"})])

    def endpoint(request: Received) -> tuple[int, Any]:
        code, body = next(answers, (503, {"errorMessage": "busy"}))
        return code, body or {"requestId": request.json()["requestId"], "timestamp": 1}

    with TlsReceiver(*tls, endpoint) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="to-http-logged",
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": receiver.url + "/in"},
                "BufferingHints": ZERO,
                "RetryOptions": {"DurationInSeconds": 0},
                "CloudWatchLoggingOptions": {
                    "Enabled": True,
                    "LogGroupName": "/aws/firehose/to-http-logged",
                    "LogStreamName": "DestinationDelivery",
                },
                "S3Configuration": staging("http-logged"),
            },
        )
        put(server, "to-http-logged", [b"first"])
        wait_for(lambda: receiver.requests, 20, "the first request")
        put(server, "to-http-logged", [b"second"])
        error_documents(server, "http-logged", "http-endpoint-failed/", 1)

    def events() -> list[dict[str, Any]]:
        try:
            found = logs.get_log_events(
                logGroupName="/aws/firehose/to-http-logged", logStreamName="DestinationDelivery"
            )["events"]
        except Exception:  # the group appears with the first event
            return []
        return [json.loads(e["message"]) for e in found]

    (event,) = wait_for(events, 10, "the failure logged")
    assert event["errorCode"] == "HttpEndpoint.DestinationException"
    assert event["destination"] == receiver.url + "/in"
    assert event["deliveryStreamARN"].endswith(":deliverystream/to-http-logged")
    lines = wait_for(
        lambda: (
            (found := _metric_lines(server, "to-http-logged"))
            and any("delivery_to_http_endpoint_failures" in x for x in found)
            and found
        ),
        10,
        "the destination's metrics",
    )
    assert any(
        x.startswith("aws_firehose_delivery_to_http_endpoint_success{") and x.endswith(" 1") for x in lines
    )
    assert any(
        x.startswith("aws_firehose_delivery_to_http_endpoint_records{") and x.endswith(" 1") for x in lines
    )
    assert any(
        x.startswith("aws_firehose_delivery_to_http_endpoint_failures{") and x.endswith(" 1") for x in lines
    )


# -- every failed attempt logged, the metrics once delivered ---------------------------------------


def _logging(stream: str) -> dict[str, Any]:
    return {
        "Enabled": True,
        "LogGroupName": f"/aws/firehose/{stream}",
        "LogStreamName": "DestinationDelivery",
    }


def _attempts_logged(server: Server, stream: str, count: int) -> list[dict[str, Any]]:
    """Advances the clock (driving the retry schedule) until `count` error events are logged."""
    logs = client(server, "logs")

    def events() -> list[dict[str, Any]] | None:
        server.advance(2)
        try:
            found = logs.get_log_events(
                logGroupName=f"/aws/firehose/{stream}", logStreamName="DestinationDelivery"
            )
        except Exception:  # the group appears with the first event
            return None
        messages = [json.loads(e["message"]) for e in found["events"]]
        return messages if len(messages) >= count else None

    return list(wait_for(events, 30, f"{count} failed attempts of {stream} logged"))


def _metric(server: Server, stream: str, name: str) -> float:
    lines = [x for x in _metric_lines(server, stream) if x.startswith(f"aws_firehose_{name}{{")]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def _delivered(server: Server, stream: str, family: str, records: int) -> None:
    wait_for(lambda: _metric(server, stream, f"{family}_records") >= records, 30, f"{family} records counted")
    assert _metric(server, stream, f"{family}_success") >= 1


def test_http_endpoint_attempts_are_each_logged(server: Server, tls: tuple[Path, Path]) -> None:
    answers = iter([(500, {"errorMessage": "down"}), (500, {"errorMessage": "down"})])

    def endpoint(request: Received) -> tuple[int, Any]:
        code, body = next(answers, (200, None))
        return code, body or {"requestId": request.json()["requestId"], "timestamp": 1}

    client(server, "s3").create_bucket(Bucket="http-attempts")
    with TlsReceiver(*tls, endpoint) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="http-attempts",
            HttpEndpointDestinationConfiguration={
                "EndpointConfiguration": {"Url": receiver.url},
                "BufferingHints": ZERO,
                "RetryOptions": {"DurationInSeconds": 120},
                "CloudWatchLoggingOptions": _logging("http-attempts"),
                "S3Configuration": staging("http-attempts"),
            },
        )
        put(server, "http-attempts", [b"a", b"b"])
        events = _attempts_logged(server, "http-attempts", 2)
        _delivered(server, "http-attempts", "delivery_to_http_endpoint", 2)
    assert [e["errorCode"] for e in events] == ["HttpEndpoint.DestinationException"] * 2
    assert events[0]["message"].startswith(
        "The following response was received from the endpoint destination. 500: "
    )
    assert len(receiver.requests) == 3
    assert len({r.headers["x-amz-firehose-request-id"] for r in receiver.requests}) == 1


def test_splunk_attempts_are_logged_and_delivery_counted(server: Server, tls: tuple[Path, Path]) -> None:
    busy = iter([True])

    def hec(request: Received) -> tuple[int, Any]:
        if request.path == "/services/collector/ack":
            return 200, {"acks": {str(a): True for a in request.json()["acks"]}}
        if next(busy, False):
            return 503, {"text": "Server is busy", "code": 9}
        return 200, {"text": "Success", "code": 0, "ackId": 1}

    client(server, "s3").create_bucket(Bucket="splunk-attempts")
    with TlsReceiver(*tls, hec) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="splunk-attempts",
            SplunkDestinationConfiguration={
                "HECEndpoint": receiver.url,
                "HECEndpointType": "Raw",
                "HECToken": "tok-2",
                "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                "RetryOptions": {"DurationInSeconds": 120},
                "CloudWatchLoggingOptions": _logging("splunk-attempts"),
                "S3Configuration": staging("splunk-attempts"),
            },
        )
        put(server, "splunk-attempts", [b"one\n", b"two\n", b"three\n"])
        [event] = _attempts_logged(server, "splunk-attempts", 1)
        _delivered(server, "splunk-attempts", "delivery_to_splunk", 3)
    assert event["errorCode"] == "Splunk.IndexerBusy"
    assert event["destination"] == receiver.url
    assert [r.body for r in receiver.requests if r.path == "/services/collector/raw"] == [
        b"one\ntwo\nthree\n"
    ] * 2


def test_opensearch_attempts_are_logged_and_delivery_counted(server: Server, tls: tuple[Path, Path]) -> None:
    failing = iter([True])

    def bulk(request: Received) -> tuple[int, Any]:
        if next(failing, False):
            return 503, {"error": "cluster unavailable"}
        lines = request.body.splitlines()
        items = [{"index": {**json.loads(a)["index"], "status": 201}} for a in lines[::2]]
        return 200, {"took": 1, "errors": False, "items": items}

    client(server, "s3").create_bucket(Bucket="os-attempts")
    with TlsReceiver(*tls, bulk) as receiver:
        client(server, "firehose").create_delivery_stream(
            DeliveryStreamName="os-attempts",
            AmazonopensearchserviceDestinationConfiguration={
                "RoleARN": ROLE,
                "ClusterEndpoint": receiver.url,
                "IndexName": "events",
                "IndexRotationPeriod": "NoRotation",
                "BufferingHints": ZERO,
                "RetryOptions": {"DurationInSeconds": 120},
                "CloudWatchLoggingOptions": _logging("os-attempts"),
                "S3Configuration": staging("os-attempts"),
            },
        )
        put(server, "os-attempts", [b'{"n":1}', b'{"n":2}'])
        [event] = _attempts_logged(server, "os-attempts", 1)
        _delivered(server, "os-attempts", "delivery_to_amazon_open_search_service", 2)
    assert event["errorCode"] == "503"
    assert "cluster unavailable" in event["message"]
    assert len(receiver.requests) == 2


def test_redshift_attempts_are_logged_until_the_table_exists(server: Server, postgres: Postgres) -> None:
    client(server, "s3").create_bucket(Bucket="rs-attempts")
    client(server, "firehose").create_delivery_stream(
        DeliveryStreamName="rs-attempts",
        RedshiftDestinationConfiguration={
            "RoleARN": ROLE,
            "ClusterJDBCURL": f"jdbc:redshift://pg.redshift.localhost:{postgres.port}/postgres",
            "CopyCommand": {"DataTableName": "late_table", "CopyOptions": "JSON 'auto'"},
            "Username": postgres.user,
            "Password": postgres.password,
            "RetryOptions": {"DurationInSeconds": 600},
            "CloudWatchLoggingOptions": _logging("rs-attempts"),
            "S3Configuration": staging(
                "rs-attempts", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0}
            ),
        },
    )
    put(server, "rs-attempts", [json.dumps({"id": i}).encode() for i in range(5)])
    first, *_ = _attempts_logged(server, "rs-attempts", 2)  # a COPY attempt per retry, each logged
    assert first["errorCode"] == "Redshift.TableNotFound"
    assert first["destination"].startswith("jdbc:redshift://pg.redshift.localhost:")
    postgres.execute("CREATE TABLE late_table (id int)")

    def loaded() -> bool:
        server.advance(2)
        return postgres.execute("SELECT count(*) FROM late_table") == [(5,)]

    wait_for(loaded, 30, "5 rows in late_table")
    _delivered(server, "rs-attempts", "delivery_to_redshift", 5)
