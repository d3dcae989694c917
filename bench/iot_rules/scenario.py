"""The phases, each on a Headwater started afresh (durable, limits off, plain MQTT in relaxed mode):

- kinesis / sqs: `clients` devices publish telemetry at QoS 1 to `bench/<device>/telemetry`; one rule
  `SELECT * FROM 'bench/+/telemetry' WHERE temperature > 20` (every reading passes: each message is one
  evaluation and one delivery) sends to a stream of `shards` shards (partition key `${topic(2)}`) or to
  a queue. Delivered = records readable in Kinesis / messages visible in SQS inside the measured window.
- latency: publish-to-Kinesis, one device at a steady low rate into a one-shard stream.
- shadow: `things` things registered, `clients` connections each updating its share of their classic
  shadows round robin (`$aws/things/<thing>/shadow/update`, QoS 1, at most 10 unacknowledged per
  connection: AWS refuses an 11th request in flight with 429); counted: the PUBACKs and the
  `update/accepted` documents one subscriber receives.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

import boto3

from bench.common.servers import HOST
from bench.common.wire import ACCESS_KEY, REGION, SECRET_KEY
from bench.iot.cpu import process_cpu
from bench.iot_rules import latency, sinks
from bench.iot_rules.payload import shadow_update, telemetry
from bench.iot_rules.publish import Publishers, Spec

PHASES = ("kinesis", "sqs", "latency", "shadow")
ROLE = "arn:aws:iam::000000000000:role/bench-rules"
WHERE = "WHERE temperature > 20"
SHADOW_INFLIGHT = 10  # the shadow service's limit of requests in flight per connection


def client(http_port: int, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{http_port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def _stream(http_port: int, name: str, shards: int) -> list[str]:
    """A new stream, ACTIVE; TRIM_HORIZON iterators of its shards."""
    kinesis = client(http_port, "kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ids = [s["ShardId"] for s in kinesis.list_shards(StreamName=name)["Shards"]]
    return [
        kinesis.get_shard_iterator(StreamName=name, ShardId=i, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        for i in ids
    ]


def _rule(http_port: int, name: str, topic_filter: str, action: dict[str, Any]) -> None:
    client(http_port, "iot").create_topic_rule(
        ruleName=name,
        topicRulePayload={
            "sql": f"SELECT * FROM '{topic_filter}' {WHERE}",
            "awsIotSqlVersion": "2016-03-23",
            "actions": [action],
        },
    )


def _load(
    args: argparse.Namespace,
    specs: list[Spec],
    counters: dict[str, sinks.Counter],
    broker_pid: int,
) -> dict[str, Any]:
    """Publish for warmup + duration; rates inside the window for every counter, then drain them."""
    group = Publishers(specs, args.procs)
    try:
        group.gather(60)
        load0, cpu0 = os.getloadavg()[0], process_cpu(broker_pid)
        start = time.monotonic()
        warm, end = start + args.warmup, start + args.warmup + args.duration
        group.start(end)
        results = group.gather(args.warmup + args.duration + 60)
    finally:
        group.close()
    sent = sum(r["sent"] for r in results)
    out: dict[str, Any] = {
        "sent": sent,
        "acked": sum(r["acked"] for r in results),
        "published_per_s": round(sent / (args.warmup + args.duration)),
        "load_start": round(load0, 2),
        "load_end": round(os.getloadavg()[0], 2),
        "errors": [e for r in results for e in r["errors"]][:5],
    }
    for name, counter in counters.items():
        last = counter.wait(sent, idle=5.0, limit=args.drain)
        counter.stop.set()
        out[name] = {
            "per_s": round((counter.at(end) - counter.at(warm)) / args.duration),
            # from the first publish to the last arrival: what the server sustains once a backlog forms
            "drained_per_s": round(counter.total / max(0.001, last - start)),
            "total": counter.total,
            "lag_s": round(max(0.0, last - end), 2),
            "errors": counter.errors[:5],
        }
    cpu = process_cpu(broker_pid) - cpu0
    out["server_cpu_us_per_msg"] = round(cpu / max(1, sent) * 1e6, 1)
    # the publishers' own CPU (they share the machine with the server): is the client the limit?
    out["client_cpu_us_per_msg"] = round(sum(r.get("cpu", 0.0) for r in results) / max(1, sent) * 1e6, 1)
    return out


def _devices(args: argparse.Namespace, mqtt_port: int, topic: str) -> list[Spec]:
    return [
        Spec(HOST, mqtt_port, f"bench-device-{p:04d}", [topic % p], [telemetry(p, args.size)])
        for p in range(args.clients)
    ]


def rules_into_kinesis(args: argparse.Namespace, http_port: int, mqtt_port: int, pid: int) -> dict[str, Any]:
    iterators = _stream(http_port, "bench-rules", args.shards)
    action = {"kinesis": {"roleArn": ROLE, "streamName": "bench-rules", "partitionKey": "${topic(2)}"}}
    _rule(http_port, "bench_kinesis", "bench/+/telemetry", action)
    counter = sinks.Counter()
    sinks.kinesis_readers(HOST, http_port, iterators, counter)
    return _load(args, _devices(args, mqtt_port, "bench/d%04d/telemetry"), {"kinesis": counter}, pid)


def rules_into_sqs(args: argparse.Namespace, http_port: int, mqtt_port: int, pid: int) -> dict[str, Any]:
    sqs = client(http_port, "sqs")
    url = sqs.create_queue(QueueName="bench-rules")["QueueUrl"]
    _rule(http_port, "bench_sqs", "bench/+/telemetry", {"sqs": {"roleArn": ROLE, "queueUrl": url}})
    counter = sinks.Counter()
    sinks.sqs_poller(client(http_port, "sqs"), url, counter)
    return _load(args, _devices(args, mqtt_port, "bench/d%04d/telemetry"), {"sqs": counter}, pid)


def publish_to_kinesis(args: argparse.Namespace, http_port: int, mqtt_port: int, pid: int) -> dict[str, Any]:
    (iterator,) = _stream(http_port, "bench-latency", 1)
    action = {"kinesis": {"roleArn": ROLE, "streamName": "bench-latency", "partitionKey": "${topic(2)}"}}
    _rule(http_port, "bench_latency", "latency/+/telemetry", action)
    result = latency.measure(
        HOST, http_port, mqtt_port, "latency/d0/telemetry", iterator,
        messages=args.latency_messages, rate=args.latency_rate,
    )  # fmt: skip
    result["load"] = round(os.getloadavg()[0], 2)
    return result


def shadow_updates(args: argparse.Namespace, http_port: int, mqtt_port: int, pid: int) -> dict[str, Any]:
    iot = client(http_port, "iot")
    names = [f"bench-thing-{k:05d}" for k in range(args.things)]
    for name in names:
        iot.create_thing(thingName=name)
    counter = sinks.Counter()
    sinks.accepted_subscriber(HOST, mqtt_port, counter)
    specs = []
    for p in range(args.clients):
        mine = names[p :: args.clients]
        topics = [f"$aws/things/{name}/shadow/update" for name in mine]
        payloads = [shadow_update(p)] * len(mine)
        # AWS answers an 11th request in flight on one connection with 429: a device keeps 10 at most
        specs.append(
            Spec(HOST, mqtt_port, f"bench-shadow-{p:04d}", topics, payloads, inflight=SHADOW_INFLIGHT)
        )
    result = _load(args, specs, {"accepted": counter}, pid)
    result["acked_per_s"] = round(result["acked"] / (args.warmup + args.duration))
    # a thing's version counts its accepted updates: the first thing's, as a spot check
    shadow = client(http_port, "iot-data").get_thing_shadow(thingName=names[0])
    result["first_thing_version"] = json.loads(shadow["payload"].read()).get("version")
    return result


Phase = Callable[[argparse.Namespace, int, int, int], dict[str, Any]]
MEASURES: dict[str, Phase] = {
    "kinesis": rules_into_kinesis,
    "sqs": rules_into_sqs,
    "latency": publish_to_kinesis,
    "shadow": shadow_updates,
}
