"""Control-plane calls through boto3 (queue setup, readiness): off the measured paths."""

from __future__ import annotations

from typing import Any

from bench import control


def client(port: int, read_timeout: float = 60.0) -> Any:
    return control.client(port, read_timeout, service="sqs")


def probe(port: int) -> bool:
    """Ready when ListQueues answers."""
    try:
        client(port, read_timeout=3).list_queues()
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready yet
        return False


def serves_sqs(port: int) -> str | None:
    """None if a boto3 CreateQueue works, else why not (Headwater before its SQS service existed)."""
    sqs = client(port, read_timeout=10)
    try:
        sqs.create_queue(QueueName="bench-probe")
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return (
            f"CreateQueue failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        )
    finally:
        sqs.close()


def create_queue(sqs: Any, name: str, **attributes: str) -> str:
    """Create a queue (FIFO if the name ends in .fifo); returns its URL."""
    if name.endswith(".fifo"):
        attributes = {"FifoQueue": "true", **attributes}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def depth(sqs: Any, url: str) -> int:
    """ApproximateNumberOfMessages (visible)."""
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])
