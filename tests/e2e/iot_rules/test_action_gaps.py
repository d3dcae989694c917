"""What AWS does beyond plain delivery, through real clients: one errorAction message per message
with every failed action in `failures`, the http action signed with SigV4 as its role, the s3
action's canned ACL, and the guard that ends a republish loop."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from headwater.runtime.metrics import prometheus_name
from headwater.services.iot.rules.targets import MAX_REPUBLISH_HOPS
from tests.e2e.iot.gateway import Gateway, wait_for
from tests.e2e.iot.paho_clients import Paho
from tests.e2e.iot_rules.support import ROLE, publish, rule, wait_messages


def _error_messages(gw: Gateway, sqs: Any, url: str) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]]:
        gw.server.advance(20)  # past each retry's backoff
        return list(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))

    return [json.loads(m["Body"]) for m in wait_for(arrived, 30, "the errorAction's message")]


def test_two_failed_actions_of_one_message_make_one_error_message(relaxed: Gateway) -> None:
    sqs = relaxed.iot("sqs")
    errors = sqs.create_queue(QueueName="gathered-errors")["QueueUrl"]
    good = sqs.create_queue(QueueName="gathered-good")["QueueUrl"]
    missing = good.replace("gathered-good", "no-such-queue")
    relaxed.iot().create_topic_rule(
        ruleName="gathered",
        topicRulePayload=rule(
            "SELECT * FROM 'gathered/+'",
            {"kinesis": {"streamName": "no-such-stream", "partitionKey": "k", "roleArn": ROLE}},
            {"sqs": {"queueUrl": missing, "roleArn": ROLE}},
            {"sqs": {"queueUrl": good, "roleArn": ROLE}},
            error={"sqs": {"queueUrl": errors, "roleArn": ROLE}},
        ),
    )
    publish(relaxed, "gathered/g1", {"n": 1})
    [delivered] = wait_messages(sqs, good)
    assert json.loads(delivered["Body"]) == {"n": 1}
    [doc] = _error_messages(relaxed, sqs, errors)
    assert doc["ruleName"] == "gathered" and doc["topic"] == "gathered/g1"
    failures = {f["failedAction"]: f for f in doc["failures"]}
    assert sorted(failures) == ["KinesisAction", "SqsAction"]
    assert failures["KinesisAction"]["failedResource"] == "no-such-stream"
    assert failures["SqsAction"]["failedResource"] == missing
    assert sqs.receive_message(QueueUrl=errors, WaitTimeSeconds=1).get("Messages") is None  # only one


class _Capture(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Capture.requests.append((self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_http_action_signs_with_sigv4_as_its_role(relaxed: Gateway) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    iot = relaxed.iot()
    try:
        made = iot.create_topic_rule_destination(
            destinationConfiguration={"httpUrlConfiguration": {"confirmationUrl": f"{base}/"}}
        )["topicRuleDestination"]
        _, _, body = wait_for(lambda: _Capture.requests and _Capture.requests[0], what="the confirmation")
        iot.confirm_topic_rule_destination(confirmationToken=json.loads(body)["confirmationToken"])
        assert iot.get_topic_rule_destination(arn=made["arn"])["topicRuleDestination"]["status"] == "ENABLED"
        sigv4 = {"signingRegion": "us-east-1", "serviceName": "sts", "roleArn": ROLE}
        form = [{"key": "Content-Type", "value": "application/x-www-form-urlencoded"}]
        iot.create_topic_rule(
            ruleName="signed",
            topicRulePayload=rule(
                "SELECT * FROM 'signed/+'",
                {"http": {"url": f"{base}/", "headers": form, "auth": {"sigv4": sigv4}}},
            ),
        )
        call = b"Action=GetCallerIdentity&Version=2011-06-15"  # binary: SELECT * sends it as it is
        publish(relaxed, "signed/s1", call)
        path, headers, body = wait_for(
            lambda: len(_Capture.requests) >= 2 and _Capture.requests[1], what="the POST"
        )
        assert body == call
        authorization = headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=")
        assert "/us-east-1/sts/aws4_request" in authorization and "X-Amz-Security-Token" in headers
        # the credentials are a real session of the role: Headwater's STS answers the signed call as it
        kept = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        answer = httpx.post(f"{relaxed.server.endpoint}{path}", content=body, headers=kept)
        assert answer.status_code == 200, answer.text
        assert "arn:aws:sts::000000000000:assumed-role/iot-rules/iot-rules-http" in answer.text
        iot.delete_topic_rule(ruleName="signed")
    finally:
        server.shutdown()


def test_s3_action_applies_its_canned_acl(relaxed: Gateway) -> None:
    s3, sqs = relaxed.iot("s3"), relaxed.iot("sqs")
    s3.create_bucket(Bucket="acl-open")
    s3.put_bucket_ownership_controls(
        Bucket="acl-open", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket="acl-open")
    s3.create_bucket(Bucket="acl-enforced")  # BucketOwnerEnforced: ACLs are disabled
    errors = sqs.create_queue(QueueName="acl-errors")["QueueUrl"]
    relaxed.iot().create_topic_rule(
        ruleName="acl",
        topicRulePayload=rule(
            "SELECT * FROM 'acl/+'",
            {
                "s3": {
                    "bucketName": "${topic(2)}",
                    "key": "reading.json",
                    "cannedAcl": "public-read",
                    "roleArn": ROLE,
                }
            },
            error={"sqs": {"queueUrl": errors, "roleArn": ROLE}},
        ),
    )
    publish(relaxed, "acl/acl-open", {"v": 1})

    def grants() -> list[dict[str, Any]] | None:
        try:
            return list(s3.get_object_acl(Bucket="acl-open", Key="reading.json")["Grants"])
        except s3.exceptions.ClientError:
            return None

    found = wait_for(grants, what="the object's ACL")
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in found
    publish(relaxed, "acl/acl-enforced", {"v": 2})
    [doc] = _error_messages(relaxed, sqs, errors)
    [failure] = doc["failures"]
    assert failure["failedAction"] == "S3Action" and failure["failedResource"] == "acl-enforced"
    assert "AccessControlListNotSupported" in failure["errorMessage"]


def test_a_republish_loop_stops_after_its_hop_limit(relaxed: Gateway) -> None:
    relaxed.iot().create_topic_rule(
        ruleName="looping",
        topicRulePayload=rule(
            "SELECT * FROM 'loop/+'", {"republish": {"topic": "loop/again", "roleArn": ROLE}}
        ),
    )
    subscriber = Paho("loop-listener", "3.1.1").connect(relaxed.mqtt)
    try:
        subscriber.subscribe("loop/#", qos=0)
        publish(relaxed, "loop/start", {"round": 1})
        stopped = prometheus_name("IoT", "RepublishLoopStopped")

        def ended() -> bool:
            return f"{stopped} 1" in httpx.get(f"{relaxed.server.endpoint}/_headwater/metrics").text

        wait_for(ended, 30, "the loop guard")
        received = subscriber.received(MAX_REPUBLISH_HOPS + 2)  # the device's, then each republish
        assert [topic for topic, _, _ in received] == ["loop/start"] + ["loop/again"] * (
            MAX_REPUBLISH_HOPS + 1
        )
        assert all(json.loads(payload) == {"round": 1} for _, payload, _ in received)
    finally:
        subscriber.close()
