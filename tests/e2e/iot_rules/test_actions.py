"""A device's PUBLISH (paho on the plain port, or iot-data over HTTP) through a rule with WHERE into
every target, the bytes checked where each service keeps them."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from headwater.runtime.metrics import prometheus_name
from tests.e2e.functions.support import drain, ensure_role, python_function
from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho
from tests.e2e.iot_rules.support import ROLE, kinesis_records, publish, rule, wait_messages, wait_records


def test_kinesis_sqs_and_s3_get_the_selected_message(relaxed: Gateway) -> None:
    kinesis, sqs, s3, iot = relaxed.iot("kinesis"), relaxed.iot("sqs"), relaxed.iot("s3"), relaxed.iot()
    kinesis.create_stream(StreamName="telemetry", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="telemetry", WaiterConfig={"Delay": 0.2})
    plain = sqs.create_queue(QueueName="telemetry")["QueueUrl"]
    encoded = sqs.create_queue(QueueName="telemetry-b64")["QueueUrl"]
    s3.create_bucket(Bucket="telemetry")
    iot.create_topic_rule(
        ruleName="hot_readings",
        topicRulePayload=rule(
            "SELECT * FROM 'sensors/+/temp' WHERE temp > 30",
            {"kinesis": {"streamName": "telemetry", "partitionKey": "${topic(2)}", "roleArn": ROLE}},
            {"sqs": {"queueUrl": plain, "roleArn": ROLE}},
            {"sqs": {"queueUrl": encoded, "useBase64": True, "roleArn": ROLE}},
            {"s3": {"bucketName": "telemetry", "key": "readings/${topic(2)}.json", "roleArn": ROLE}},
        ),
    )
    publish(relaxed, "sensors/s1/temp", {"temp": 20})  # WHERE not met
    publish(relaxed, "sensors/s2/temp", {"temp": 40})
    [record] = wait_records(kinesis, "telemetry")
    assert json.loads(record["Data"]) == {"temp": 40} and record["PartitionKey"] == "s2"
    [message] = wait_messages(sqs, plain)
    assert json.loads(message["Body"]) == {"temp": 40}
    [message] = wait_messages(sqs, encoded)
    assert json.loads(base64.b64decode(message["Body"])) == {"temp": 40}
    body = wait_for(lambda: _object(s3, "telemetry", "readings/s2.json"), what="the S3 object")
    assert json.loads(body) == {"temp": 40}
    assert len(kinesis_records(kinesis, "telemetry")) == 1  # the cold reading went nowhere
    text = httpx.get(f"{relaxed.server.endpoint}/_headwater/metrics").text
    assert f'{prometheus_name("IoT", "TopicMatch")}{{RuleName="hot_readings"}} 2' in text
    assert f'{prometheus_name("IoT", "RulesExecuted")}{{RuleName="hot_readings"}} 1' in text
    success = prometheus_name("IoT", "Success")
    assert f'{success}{{ActionType="kinesis",RuleName="hot_readings"}} 1' in text or (
        f'{success}{{RuleName="hot_readings",ActionType="kinesis"}} 1' in text
    )


def _object(s3: Any, bucket: str, key: str) -> bytes | None:
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def test_iot_data_publish_and_basic_ingest_reach_the_rule(relaxed: Gateway) -> None:
    sqs, iot = relaxed.iot("sqs"), relaxed.iot()
    url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
    iot.create_topic_rule(
        ruleName="ingest",
        topicRulePayload=rule("SELECT * FROM 'ingest/#'", {"sqs": {"queueUrl": url, "roleArn": ROLE}}),
    )
    relaxed.iot("iot-data").publish(topic="ingest/http", qos=1, payload=b'{"via": "https"}')
    [message] = wait_messages(sqs, url)
    assert json.loads(message["Body"]) == {"via": "https"}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # Basic Ingest names the rule; the topic after the prefix need not match FROM
    publish(relaxed, "$aws/rules/ingest/anything/here", {"via": "basic ingest"})
    [message] = wait_messages(sqs, url)
    assert json.loads(message["Body"]) == {"via": "basic ingest"}


def test_republish_reaches_a_subscriber_with_mqtt5_headers(relaxed: Gateway) -> None:
    headers = {"contentType": "application/json", "userProperties": [{"key": "from", "value": "${topic(2)}"}]}
    relaxed.iot().create_topic_rule(
        ruleName="echo",
        topicRulePayload=rule(
            "SELECT * FROM 'devices/+/out'",
            {"republish": {"topic": "echoed/${topic(2)}", "qos": 1, "headers": headers, "roleArn": ROLE}},
            {"republish": {"topic": "$$aws/things/${topic(2)}/shadow/update", "qos": 0, "roleArn": ROLE}},
        ),
    )
    subscriber = Paho("echo-listener", "5").connect(relaxed.mqtt)
    properties: list[Any] = []
    on_message = subscriber.client.on_message
    subscriber.client.on_message = lambda client, data, message: (
        properties.append(message.properties),
        on_message(client, data, message),  # type: ignore[misc]
    )
    try:
        subscriber.subscribe("echoed/#")
        subscriber.subscribe("$aws/things/+/shadow/update")
        publish(relaxed, "devices/d7/out", {"n": 7})
        received = subscriber.received(2)
        by_topic = {
            topic: (payload, props) for (topic, payload, _), props in zip(received, properties, strict=True)
        }
        payload, props = by_topic["echoed/d7"]
        assert json.loads(payload) == {"n": 7}
        assert props.ContentType == "application/json" and props.UserProperty == [("from", "d7")]
        assert json.loads(by_topic["$aws/things/d7/shadow/update"][0]) == {"n": 7}
    finally:
        subscriber.close()


def test_lambda_gets_the_message(relaxed: Gateway) -> None:
    lam, sqs = relaxed.iot("lambda"), relaxed.iot("sqs")
    role = ensure_role(relaxed.iot)
    seen = sqs.create_queue(QueueName="lambda-seen")["QueueUrl"]
    source = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
"""
    arn = python_function(lam, "on_reading", source, role, Environment={"Variables": {"SEEN": seen}})[
        "FunctionArn"
    ]
    relaxed.iot().create_topic_rule(
        ruleName="to_lambda",
        topicRulePayload=rule("SELECT * FROM 'fn/+'", {"lambda": {"functionArn": arn}}),
    )
    publish(relaxed, "fn/x", {"reading": 3})
    [event] = drain(sqs, seen, lambda got: len(got) >= 1, timeout=60)
    assert event == {"reading": 3}


def test_firehose_and_logs(relaxed: Gateway) -> None:
    firehose, s3, logs = relaxed.iot("firehose"), relaxed.iot("s3"), relaxed.iot("logs")
    s3.create_bucket(Bucket="landing-rules")
    firehose.create_delivery_stream(
        DeliveryStreamName="readings",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::landing-rules",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        },
    )
    relaxed.iot().create_topic_rule(
        ruleName="to_firehose_and_logs",
        topicRulePayload=rule(
            "SELECT * FROM 'fh/+'",
            {"firehose": {"deliveryStreamName": "readings", "separator": "\n", "roleArn": ROLE}},
            {"cloudwatchLogs": {"logGroupName": "/iot/readings", "roleArn": ROLE}},
        ),
    )
    publish(relaxed, "fh/a", {"n": 1})
    publish(relaxed, "fh/b", {"n": 2})

    def flushed() -> list[bytes]:
        relaxed.server.advance(61)
        listed = s3.list_objects_v2(Bucket="landing-rules").get("Contents", [])
        return [s3.get_object(Bucket="landing-rules", Key=o["Key"])["Body"].read() for o in listed]

    bodies = wait_for(lambda: (found := flushed()) and b"".join(found).count(b"\n") >= 2 and found, 30)
    lines = b"".join(bodies).splitlines()
    assert sorted(json.loads(line)["n"] for line in lines) == [1, 2]

    def logged() -> list[str]:
        events = logs.filter_log_events(logGroupName="/iot/readings").get("events", [])
        return [e["message"] for e in events]

    messages = wait_for(lambda: len(logged()) >= 2 and logged(), what="log events")
    assert sorted(json.loads(m)["n"] for m in messages) == [1, 2]


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        length = int(self.headers.get("Content-Length") or 0)
        _Receiver.bodies.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_http_action_needs_a_confirmed_destination(relaxed: Gateway) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    iot = relaxed.iot()
    try:
        made = iot.create_topic_rule_destination(
            destinationConfiguration={"httpUrlConfiguration": {"confirmationUrl": f"{base}/hook"}}
        )["topicRuleDestination"]
        assert made["status"] == "IN_PROGRESS"
        path, body = wait_for(lambda: _Receiver.bodies and _Receiver.bodies[0], what="the confirmation")
        confirmation = json.loads(body)
        assert path == "/hook" and confirmation["arn"] == made["arn"]
        assert confirmation["messageType"] == "DestinationConfirmation"
        iot.confirm_topic_rule_destination(confirmationToken=confirmation["confirmationToken"])
        got = iot.get_topic_rule_destination(arn=made["arn"])["topicRuleDestination"]
        assert got["status"] == "ENABLED"
        assert [d["arn"] for d in iot.list_topic_rule_destinations()["destinationSummaries"]] == [made["arn"]]
        iot.create_topic_rule(
            ruleName="to_http",
            topicRulePayload=rule(
                "SELECT * FROM 'web/+'",
                {"http": {"url": f"{base}/hook/${{topic(2)}}", "confirmationUrl": f"{base}/hook"}},
            ),
        )
        publish(relaxed, "web/w1", {"w": 1})
        path, body = wait_for(lambda: len(_Receiver.bodies) >= 2 and _Receiver.bodies[1], what="the POST")
        assert path == "/hook/w1" and json.loads(body) == {"w": 1}
        iot.update_topic_rule_destination(arn=made["arn"], status="DISABLED")
        assert iot.get_topic_rule_destination(arn=made["arn"])["topicRuleDestination"]["status"] == "DISABLED"
        iot.update_topic_rule_destination(arn=made["arn"], status="IN_PROGRESS")  # a new confirmation
        path, body = wait_for(
            lambda: len(_Receiver.bodies) >= 3 and _Receiver.bodies[2], what="a new confirmation"
        )
        renewed = json.loads(body)
        assert renewed["confirmationToken"] != confirmation["confirmationToken"]
        assert httpx.get(renewed["enableUrl"]).status_code == 200  # what the endpoint's owner may do instead
        assert iot.get_topic_rule_destination(arn=made["arn"])["topicRuleDestination"]["status"] == "ENABLED"
        iot.delete_topic_rule(ruleName="to_http")
        iot.delete_topic_rule_destination(arn=made["arn"])
        with pytest.raises(ClientError) as caught:
            iot.get_topic_rule_destination(arn=made["arn"])
        assert caught.value.response["Error"]["Code"] == "UnauthorizedException"
    finally:
        server.shutdown()


def test_a_missing_target_sends_the_error_action(relaxed: Gateway) -> None:
    sqs = relaxed.iot("sqs")
    errors = sqs.create_queue(QueueName="rule-errors")["QueueUrl"]
    relaxed.iot().create_topic_rule(
        ruleName="broken",
        topicRulePayload=rule(
            "SELECT * FROM 'broken/+'",
            {"kinesis": {"streamName": "no-such-stream", "partitionKey": "k", "roleArn": ROLE}},
            error={"sqs": {"queueUrl": errors, "roleArn": ROLE}},
        ),
    )
    publish(relaxed, "broken/b1", b"\x00raw bytes")

    def arrived() -> list[dict[str, Any]]:
        relaxed.server.advance(20)  # past each retry's backoff
        return list(sqs.receive_message(QueueUrl=errors).get("Messages", []))

    [message] = wait_for(arrived, 30, "the errorAction's message")
    doc = json.loads(message["Body"])
    assert doc["ruleName"] == "broken" and doc["topic"] == "broken/b1"
    assert base64.b64decode(doc["base64OriginalPayload"]) == b"\x00raw bytes"
    assert doc["cloudwatchTraceId"] and "clientId" in doc
    [failure] = doc["failures"]
    assert failure["failedAction"] == "KinesisAction" and failure["failedResource"] == "no-such-stream"
    assert "ResourceNotFoundException" in failure["errorMessage"]


def test_a_dry_run_shows_the_rendered_requests(relaxed: Gateway) -> None:
    relaxed.iot().create_topic_rule(
        ruleName="dry",
        topicRulePayload=rule(
            "SELECT * FROM 'dry/+' WHERE level > 1",
            {"kinesis": {"streamName": "never-made", "partitionKey": "${topic(2)}", "roleArn": ROLE}},
        ),
    )
    answer = relaxed.server.admin(
        "POST", "iot/rules/dry/dry-run", {"topic": "dry/k9", "payload": {"level": 5}, "clientId": "c"}
    )
    assert answer["matches"] and answer["selected"] and answer["result"] == {"level": 5}
    [action] = answer["actions"]  # type: ignore[misc]
    assert action["fields"]["partitionKey"] == "k9"
    assert [json.loads(record) for record in action["records"]] == [{"level": 5}]
    quiet = relaxed.server.admin(
        "POST", "iot/rules/dry/dry-run", {"topic": "dry/k9", "payload": {"level": 0}}
    )
    assert quiet["selected"] is False


def test_batch_mode_puts_each_element_of_the_array(relaxed: Gateway) -> None:
    firehose, s3, logs = relaxed.iot("firehose"), relaxed.iot("s3"), relaxed.iot("logs")
    s3.create_bucket(Bucket="landing-batch")
    firehose.create_delivery_stream(
        DeliveryStreamName="batched",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::landing-batch",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        },
    )
    relaxed.iot().create_topic_rule(
        ruleName="batched",
        topicRulePayload=rule(
            "SELECT VALUE readings FROM 'batch/+'",
            {
                "firehose": {
                    "deliveryStreamName": "batched",
                    "separator": "\n",
                    "batchMode": True,
                    "roleArn": ROLE,
                }
            },
            {"cloudwatchLogs": {"logGroupName": "/iot/batched", "batchMode": True, "roleArn": ROLE}},
            awsIotSqlVersion="2016-03-23",
        ),
    )
    publish(relaxed, "batch/x", {"readings": [{"n": 1}, {"n": 2}, {"n": 3}]})

    def flushed() -> bytes:
        relaxed.server.advance(61)
        listed = s3.list_objects_v2(Bucket="landing-batch").get("Contents", [])
        return b"".join(s3.get_object(Bucket="landing-batch", Key=o["Key"])["Body"].read() for o in listed)

    body = wait_for(lambda: (found := flushed()).count(b"\n") >= 3 and found, 30, "three records")
    assert [json.loads(line) for line in body.splitlines()] == [{"n": 1}, {"n": 2}, {"n": 3}]

    def logged() -> list[str]:
        return [e["message"] for e in logs.filter_log_events(logGroupName="/iot/batched").get("events", [])]

    messages = wait_for(lambda: len(logged()) >= 3 and logged(), what="three log events")
    assert sorted(json.loads(m)["n"] for m in messages) == [1, 2, 3]
