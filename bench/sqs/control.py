"""SQS control plane through boto3 (queue setup, readiness): off the measured paths."""

from __future__ import annotations

from typing import Any

from bench.common import control


def client(port: int, read_timeout: float = 60.0) -> Any:
    return control.client("sqs", port, read_timeout)


probe = control.prober(client, "list_queues")


def serves_sqs(port: int) -> str | None:
    """None if a boto3 CreateQueue works, else why not (Headwater before its SQS service existed)."""
    sqs = client(port, read_timeout=10)
    try:
        sqs.create_queue(QueueName="bench-probe")
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"CreateQueue failed: {control.reason(exc)}"
    finally:
        sqs.close()


def create_queue(sqs: Any, name: str, **attributes: str) -> str:
    """Create a queue (FIFO if the name ends in .fifo); returns its URL."""
    if name.endswith(".fifo"):
        attributes = {"FifoQueue": "true", **attributes}
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def create_queues(port: int, queues: dict[str, str], long_visibility: str, short: set[str]) -> dict[str, str]:
    """Create every queue (key -> name); {key: URL}. All but the `short` ones get `long_visibility`."""
    sqs = client(port)
    try:
        return {
            key: create_queue(sqs, name, **({} if key in short else {"VisibilityTimeout": long_visibility}))
            for key, name in queues.items()
        }
    finally:
        sqs.close()
