"""SQS server-side encryption at rest: SSE-SQS and SSE-KMS queues store sealed message bodies.

The proof is on disk: recognisable bodies are sent, the server is stopped (everything flushed),
the data directory is searched byte by byte, then a restart must still deliver the clear bodies.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.support.clients import client_for
from tests.e2e.support.disk import at_rest, marker, on_disk


def _bodies(sqs, url: str) -> list[str]:  # noqa: ANN001
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def test_message_bodies_are_sealed_at_rest(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    sse_sqs, sse_kms, clear = (marker(x).decode() for x in ("sqs", "kms", "clear"))
    with at_rest(data_dir) as server:
        sqs = client_for(server.endpoint, "sqs")
        managed = sqs.create_queue(QueueName="managed")["QueueUrl"]  # SSE-SQS is on by default
        kms = sqs.create_queue(QueueName="kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
        plain = sqs.create_queue(QueueName="plain", Attributes={"SqsManagedSseEnabled": "false"})["QueueUrl"]
        sqs.send_message(QueueUrl=managed, MessageBody=sse_sqs)
        sqs.send_message_batch(QueueUrl=kms, Entries=[{"Id": "1", "MessageBody": sse_kms}])
        sqs.send_message(QueueUrl=plain, MessageBody=clear)
    stored = on_disk(data_dir)
    assert clear.encode() in stored  # the search works...
    assert sse_sqs.encode() not in stored  # ...and finds no sealed body
    assert sse_kms.encode() not in stored
    with at_rest(data_dir) as server:
        sqs = client_for(server.endpoint, "sqs")
        base = f"{server.endpoint}/000000000000"
        assert _bodies(sqs, f"{base}/managed") == [sse_sqs]
        assert _bodies(sqs, f"{base}/kms") == [sse_kms]
        assert _bodies(sqs, f"{base}/plain") == [clear]
