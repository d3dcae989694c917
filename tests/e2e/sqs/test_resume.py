"""Background work resumes after a restart: message move tasks and retention."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server


def _arn(sqs, url: str) -> str:  # noqa: ANN001
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _count(sqs, url: str) -> int:  # noqa: ANN001
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_move_task_and_retention_resume_after_kill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = durable_server(data_dir).start()
    try:
        sqs = client_for(server.endpoint, "sqs")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
        source = sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": policy})["QueueUrl"]
        short = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=short, MessageBody="expires")
        for i in range(0, 30, 10):
            sqs.send_message_batch(
                QueueUrl=dlq, Entries=[{"Id": str(n), "MessageBody": f"m{i + n}"} for n in range(10)]
            )
        # one message per (test-clock) second: the task is still running when the server dies
        sqs.start_message_move_task(
            SourceArn=_arn(sqs, dlq), DestinationArn=_arn(sqs, source), MaxNumberOfMessagesPerSecond=1
        )
        server.kill()
        server = durable_server(data_dir).start()
        sqs = client_for(server.endpoint, "sqs")
        base = f"{server.endpoint}/000000000000"
        [task] = sqs.list_message_move_tasks(SourceArn=_arn(sqs, f"{base}/dlq"))["Results"]
        assert task["Status"] == "RUNNING"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            server.advance(5)
            [task] = sqs.list_message_move_tasks(SourceArn=_arn(sqs, f"{base}/dlq"))["Results"]
            if task["Status"] == "COMPLETED":
                break
        assert task["Status"] == "COMPLETED"
        assert task["ApproximateNumberOfMessagesMoved"] == 30
        assert (_count(sqs, f"{base}/dlq"), _count(sqs, f"{base}/source")) == (0, 30)
        server.advance(61)
        assert _count(sqs, f"{base}/short") == 0  # retention still enforced after the restart
    finally:
        server.stop()
