"""`--init`: a server started with a seed file has its resources (and keeps them, once, across
restarts and resets); a bad seed file stops the start with one file:line message; a folder's
scripts run once the server answers, once per content."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import DURABLE, Server, free_port, running

SEED = """\
[[kinesis.streams]]
StreamName = "events"
ShardCount = 2

[[sqs.queues]]
QueueName = "jobs-dlq"

[[sqs.queues]]
QueueName = "jobs"
Attributes = { VisibilityTimeout = "60", RedrivePolicy = '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":"3"}' }

[[s3.buckets]]
Bucket = "landing"
NotificationConfiguration = { QueueConfigurations = [ { QueueArn = "arn:aws:sqs:us-east-1:000000000000:jobs", Events = ["s3:ObjectCreated:*"] } ] }

[[kms.keys]]
Description = "app"
Alias = "alias/app"
"""

BIN = str(Path(sys.executable).parent)  # where `aws` is, for the scripts


def wait_for(check: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_seeded_server_has_its_resources_once_across_restarts(tmp_path: Path) -> None:
    seed = tmp_path / "seed.toml"
    seed.write_text(SEED)
    data = tmp_path / "data"
    for start in range(2):
        with running(data, *DURABLE, "--init", str(seed)) as server:
            kinesis, sqs = client_for(server.endpoint, "kinesis"), client_for(server.endpoint, "sqs")
            s3, kms = client_for(server.endpoint, "s3"), client_for(server.endpoint, "kms")
            summary = kinesis.describe_stream_summary(StreamName="events")["StreamDescriptionSummary"]
            assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 2)
            url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert attributes["VisibilityTimeout"] == "60"
            assert "jobs-dlq" in attributes["RedrivePolicy"]
            [config] = s3.get_bucket_notification_configuration(Bucket="landing")["QueueConfigurations"]
            assert config["Events"] == ["s3:ObjectCreated:*"]
            assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["Description"] == "app"
            assert len(kms.list_keys()["Keys"]) == 1  # the restart found the key by its alias
            # the configuration's s3:TestEvent arrives once: the restart did not put it again
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            assert len(messages) == (1 if start == 0 else 0)
            for message in messages:
                assert "s3:TestEvent" in message["Body"]
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            assert "kms.keys[0] alias/app: " + ("created" if start == 0 else "exists") in server.output()


def test_a_reset_brings_the_seed_back(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text('{"sqs": {"queues": [{"QueueName": "fixture"}]}}')
    with running(tmp_path / "data", "--durability", "memory", "--init", str(seed)) as server:
        sqs = client_for(server.endpoint, "sqs")
        sqs.create_queue(QueueName="scratch")
        server.reset()
        names = [url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])]
        assert names == ["fixture"]


def test_a_bad_seed_file_stops_the_start_with_its_file_and_line(tmp_path: Path) -> None:
    seed = tmp_path / "seed.toml"
    seed.write_text(
        '[[sqs.queues]]\nQueueName = "a"\n\n[[sqs.queues]]\nQueueName = "b"\nAttributes = { Colour = "red" }\n'
    )
    command = [
        sys.executable, "-m", "headwater", "serve", "--port", str(free_port()),
        "--data-dir", str(tmp_path / "data"), "--init", str(seed),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"headwater: {seed}:4: sqs.queues[1]: InvalidAttributeName: Unknown Attribute Colour."
    )
    assert "ready" not in done.stdout
    # a path that is not there is refused before any storage is opened
    command[-1], command[-3] = str(tmp_path / "nowhere.toml"), str(tmp_path / "untouched")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.stderr.splitlines()[-1] == (
        f"headwater: {tmp_path / 'nowhere.toml'}: no such seed file or script folder (--init)"
    )
    assert not (tmp_path / "untouched").exists()


PY_SCRIPT = """\
import boto3, pathlib
boto3.client("sqs").create_queue(QueueName="from-python")  # endpoint, keys and region: from the environment
with open(pathlib.Path(__file__).with_name("runs.txt"), "a") as runs:
    runs.write("{mark}\\n")
print("python script done")
"""


def test_scripts_run_once_per_content(tmp_path: Path) -> None:
    folder = tmp_path / "init"
    folder.mkdir()
    (folder / "10-queue.py").write_text(PY_SCRIPT.format(mark="v1"))
    # AWS CLI v1 ignores AWS_ENDPOINT_URL for SQS (it pins queue.amazonaws.com): name it there
    (folder / "20-cli.sh").write_text(
        "set -e\n"
        "aws kinesis create-stream --stream-name from-cli --shard-count 1\n"
        'aws --endpoint-url "$AWS_ENDPOINT_URL" sqs create-queue --queue-name from-cli\n'
    )
    (folder / "30-fails.sh").write_text("echo about to fail\nexit 3\n")
    (folder / "README.txt").write_text("not a script\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(home)}
    runs = folder / "runs.txt"

    def serve() -> Server:
        server = Server(tmp_path / "data", *DURABLE, "--init", str(folder), env=env).start()
        wait_for(lambda: "Headwater" in server.output() and " ready" in server.output(), "ready")
        return server

    server = serve()
    try:
        sqs = client_for(server.endpoint, "sqs")
        names = {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]}
        assert names == {"from-python", "from-cli"}
        assert client_for(server.endpoint, "kinesis").list_streams()["StreamNames"] == ["from-cli"]
        output = server.output()
        assert "[10-queue.py] python script done" in output
        assert "[30-fails.sh] about to fail" in output
        assert "init script 30-fails.sh: failed with exit code 3" in output
        assert server.admin("GET", "health")["status"] == "running"  # a failing script stops nothing
    finally:
        server.stop()
    assert runs.read_text() == "v1\n"

    server = serve()  # unchanged scripts do not run again; the failed one does
    try:
        output = server.output()
        assert "init script 10-queue.py: ran before with this content, skipped" in output
        assert output.count("init script 30-fails.sh: failed with exit code 3") == 1
    finally:
        server.stop()
    assert runs.read_text() == "v1\n"

    (folder / "10-queue.py").write_text(PY_SCRIPT.format(mark="v2"))
    server = serve()  # an edited script runs again
    server.stop()
    assert runs.read_text() == "v1\nv2\n"


def test_a_server_stopped_while_a_script_runs_stops_it(tmp_path: Path) -> None:
    folder = tmp_path / "init"
    folder.mkdir()
    (folder / "10-slow.sh").write_text("echo started\nsleep 60\necho finished\n")
    server = Server(tmp_path / "data", *DURABLE, "--init", str(folder)).start()
    try:
        wait_for(lambda: "[10-slow.sh] started" in server.output(), "the script to start")
    finally:
        began = time.monotonic()
        code = server.stop()
    assert code == 0 and time.monotonic() - began < 10
    output = (tmp_path / f"server-{server.port}.log").read_text()
    assert "init script 10-slow.sh: stopped with the server" in output
    assert "finished" not in output and " ready" not in output
