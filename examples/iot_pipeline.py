"""The IoT demo: devices publish telemetry over MQTT, a topic rule keeps the hot readings and hands them
to Firehose, Firehose converts them to Parquet in S3 against a Glue table, and DuckDB queries the objects.

    headwater serve --mqtt-port 1883 --iot-mode relaxed --test-mode on      # in another terminal
    python examples/iot_pipeline.py [--endpoint http://localhost:4566] [--mqtt localhost:1883]

Every call is an unmodified AWS client's (boto3 for the control plane, paho-mqtt for the devices), so the
same steps run against AWS given a role ARN and the account's IoT endpoint. Two things are Headwater's:
the devices connect anonymously to the plain MQTT port (`--iot-mode relaxed`; with `--mtls localhost:8883`
they connect to the device gateway as at AWS instead, each with its own certificate and a policy that lets
it publish only its own telemetry), and the script moves the server's clock past Firehose's 60 s buffer
(`--test-mode on`) instead of waiting a minute. It prints the rows DuckDB reads and exits 1 if a hot reading is missing or a cool one
got through.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import duckdb
import paho.mqtt.client as mqtt

ROLE = "arn:aws:iam::000000000000:role/iot-demo"  # Headwater does not check it; AWS needs a real one
DATABASE, TABLE = "telemetry", "readings"
BUCKET, STREAM, RULE = "iot-lake", "telemetry-to-lake", "hot_readings"
DEVICES = ("sensor-1", "sensor-2", "sensor-3")
READINGS = 20  # per device
THRESHOLD = 25.0
SQL = (
    "SELECT topic(2) AS device, temperature, humidity, timestamp() AS ts"
    f" FROM 'devices/+/telemetry' WHERE temperature > {THRESHOLD}"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="http://localhost:4566", help="Headwater's HTTP endpoint")
    p.add_argument("--mqtt", default="localhost:1883", help="host:port of the plain MQTT listener")
    p.add_argument(
        "--mtls",
        metavar="HOST:PORT",
        help="connect to the device gateway over mutual TLS instead (8883), as devices do at AWS: each gets"
        " a certificate from CreateKeysAndCertificate and a policy letting it publish only its own telemetry",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the Parquet rows")
    return p.parse_args(argv)


def reading(device: int, n: int) -> dict[str, Any]:
    """A deterministic reading: temperatures from 18 to 30.6 C, 24 of the 60 above the threshold."""
    return {"temperature": round(18 + (n * 7 + device * 3) % 19 * 0.7, 1), "humidity": 40 + n % 10, "seq": n}


def setup(aws: Any) -> None:
    """The Glue table Firehose converts against, the bucket, the delivery stream and the rule."""
    aws("glue").create_database(DatabaseInput={"Name": DATABASE})
    columns = [("device", "string"), ("temperature", "double"), ("humidity", "int"), ("ts", "bigint")]
    aws("glue").create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": TABLE,
            "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns]},
        },
    )
    aws("s3").create_bucket(Bucket=BUCKET)
    firehose = aws("firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName=STREAM,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": "readings/",
            "ErrorOutputPrefix": "errors/",
            # conversion needs at least 64 MiB; the interval is what flushes a demo's few records
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
            "DataFormatConversionConfiguration": {
                "Enabled": True,
                "SchemaConfiguration": {"RoleARN": ROLE, "DatabaseName": DATABASE, "TableName": TABLE},
                "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
            },
        },
    )
    deadline = time.monotonic() + 30
    while (
        firehose.describe_delivery_stream(DeliveryStreamName=STREAM)["DeliveryStreamDescription"][
            "DeliveryStreamStatus"
        ]
        != "ACTIVE"
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"{STREAM} did not become ACTIVE")
        time.sleep(0.1)
    aws("iot").create_topic_rule(
        ruleName=RULE,
        topicRulePayload={
            "sql": SQL,
            "awsIotSqlVersion": "2016-03-23",
            "ruleDisabled": False,
            "actions": [{"firehose": {"roleArn": ROLE, "deliveryStreamName": STREAM, "separator": "\n"}}],
        },
    )


# a device may connect as itself and publish to its own telemetry topic, nothing else
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/${iot:ClientId}"},
        {
            "Effect": "Allow",
            "Action": "iot:Publish",
            "Resource": "arn:aws:iot:*:*:topic/devices/${iot:ClientId}/telemetry",
        },
    ],
}


def credentials(aws: Any, endpoint: str, folder: Path) -> dict[str, ssl.SSLContext]:
    """A certificate per device (CreateKeysAndCertificate), the policy attached, and a TLS context
    trusting the server's IoT root CA (what Amazon Root CA 1 is at AWS)."""
    iot = aws("iot")
    iot.create_policy(policyName="telemetry-device", policyDocument=json.dumps(POLICY))
    root_ca = folder / "root-ca.pem"
    with urllib.request.urlopen(f"{endpoint}/_headwater/iot/root-ca", timeout=10) as answer:
        root_ca.write_bytes(answer.read())
    contexts = {}
    for device in DEVICES:
        made = iot.create_keys_and_certificate(setAsActive=True)
        iot.attach_policy(policyName="telemetry-device", target=made["certificateArn"])
        cert, key = folder / f"{device}.pem.crt", folder / f"{device}.private.key"
        cert.write_text(made["certificatePem"])
        key.write_text(made["keyPair"]["PrivateKey"])
        context = ssl.create_default_context(cafile=str(root_ca))
        context.load_cert_chain(str(cert), str(key))
        contexts[device] = context
    return contexts


def publish(host: str, port: int, tls: dict[str, ssl.SSLContext] | None = None) -> int:
    """Each device connects, publishes its readings at QoS 1 (each one acknowledged) and disconnects;
    returns how many are above the threshold."""
    hot = 0
    for index, device in enumerate(DEVICES):
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device)
        if tls is not None:
            client.tls_set_context(tls[device])
        client.connect(host, port)
        client.loop_start()
        try:
            for n in range(READINGS):
                body = reading(index, n)
                hot += body["temperature"] > THRESHOLD
                info = client.publish(f"devices/{device}/telemetry", json.dumps(body), qos=1)
                info.wait_for_publish(timeout=10)
                if not info.is_published():
                    raise SystemExit(f"{device}: reading {n} was not acknowledged")
        finally:
            client.disconnect()
            client.loop_stop()
    return hot


def advance_clock(endpoint: str, seconds: float) -> None:
    request = urllib.request.Request(
        f"{endpoint}/_headwater/clock",
        data=json.dumps({"advance": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def download(s3: Any, folder: Path) -> list[str]:
    files = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="readings/"):
        for item in page.get("Contents", []):
            path = folder / f"{len(files)}.parquet"
            path.write_bytes(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
            files.append(str(path))
    return files


def query(files: list[str]) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        "SELECT device, count(*) AS readings, min(temperature) AS coolest, max(temperature) AS hottest,"
        " round(avg(humidity), 1) AS humidity"
        f" FROM read_parquet({files!r}) GROUP BY device ORDER BY device"
    ).fetchall()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    host, _, port = args.mqtt.rpartition(":")

    def aws(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=args.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    setup(aws)
    with tempfile.TemporaryDirectory() as tmp:
        if args.mtls:
            host, _, port = args.mtls.rpartition(":")
            hot = publish(host or "localhost", int(port), credentials(aws, args.endpoint, Path(tmp)))
        else:
            hot = publish(host or "localhost", int(port))
    print(f"published {len(DEVICES) * READINGS} readings, {hot} above {THRESHOLD} C")
    s3 = aws("s3")
    rows: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + args.timeout
    with tempfile.TemporaryDirectory() as tmp:
        # the rule delivers to Firehose in the background: flush its buffer until every hot reading is in
        while time.monotonic() < deadline:
            advance_clock(args.endpoint, 60)
            time.sleep(0.5)
            files = download(s3, Path(tmp))
            rows = query(files) if files else []
            if sum(row[1] for row in rows) >= hot:
                break
            for stale in files:
                Path(stale).unlink()
    print(f"{'device':<10} {'readings':>8} {'coolest':>8} {'hottest':>8} {'humidity':>8}")
    for device, count, coolest, hottest, humidity in rows:
        print(f"{device:<10} {count:>8} {coolest:>8} {hottest:>8} {humidity:>8}")
    found = sum(row[1] for row in rows)
    if found != hot or any(row[2] <= THRESHOLD for row in rows):  # the WHERE kept only hot ones
        print(f"expected {hot} hot readings in Parquet, found {found}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
