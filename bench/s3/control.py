"""boto3 for the S3 benchmark: readiness, bucket setup and clean-up, and the multipart transfers.

The transfer client is boto3 as a user would configure it for speed on plain HTTP: path-style addressing,
no SHA-256 of every body (`payload_signing_enabled=False` sends UNSIGNED-PAYLOAD; on http botocore otherwise
hashes each part) and checksums only where an operation requires them, so the client spends its CPU on
moving bytes, not on hashing them twice.
"""

from __future__ import annotations

from typing import Any

from bench.common import control


def client(port: int, read_timeout: float = 120.0, pool: int = 10) -> Any:
    return control.client(
        "s3",
        port,
        read_timeout,
        s3={"addressing_style": "path", "payload_signing_enabled": False},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=pool,
    )


probe = control.prober(client, "list_buckets")


def create_buckets(port: int, names: list[str]) -> str | None:
    """Create the buckets; None when done, else why not (e.g. Headwater before it served S3)."""
    s3 = client(port, read_timeout=10)
    try:
        for name in names:
            s3.create_bucket(Bucket=name)
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"CreateBucket failed: {control.reason(exc)}"
    finally:
        s3.close()


def delete_objects(port: int, bucket: str, keys: list[str]) -> str | None:
    """Delete `keys` (DeleteObjects, 1,000 at a time) so the next phase starts with the space back."""
    s3 = client(port)
    try:
        for at in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[at : at + 1000]]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            if answer.get("Errors"):
                return f"DeleteObjects: {len(answer['Errors'])} errors, first {answer['Errors'][0]}"
        return None
    except Exception as exc:  # noqa: BLE001
        return f"DeleteObjects failed: {control.reason(exc)}"
    finally:
        s3.close()
