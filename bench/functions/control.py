"""The Lambda control plane through boto3: functions made from inline source, readiness, updates."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

from bench.common import control

ROLE = "arn:aws:iam::000000000000:role/bench-lambda"
# The trivial handler: returns its event, so the client can match answers to requests.
HANDLER = "def handler(event, context):\n    return event\n"


def client(port: int, read_timeout: float = 60.0) -> Any:
    return control.client("lambda", port, read_timeout, max_pool_connections=32)


probe = control.prober(client, "list_functions")


TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def ensure_role(port: int) -> None:
    """The execution role, made in IAM where the server checks roles (a server without IAM, or one
    that has the role already, answers an error that does not matter here)."""
    iam = control.client("iam", port)
    try:
        iam.create_role(RoleName=ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=TRUST)
    except Exception:  # noqa: BLE001, S110 - see above
        pass
    finally:
        iam.close()


def package(source: str = HANDLER, marker: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source + (f"# {marker}\n" if marker else ""))
    return buffer.getvalue()


def wait_active(lam: Any, name: str, timeout: float = 60.0) -> None:
    """Until the function is Active and its last update Successful (polled, not slept)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conf = lam.get_function_configuration(FunctionName=name)
        if conf.get("State", "Active") == "Active" and conf.get("LastUpdateStatus", "Successful") in (
            "Successful",
            None,
        ):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{name} not Active after {timeout:.0f} s")


def create(lam: Any, name: str, runtime: str = "python3.11", memory: int = 128) -> None:
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": package(marker=name)},
        Timeout=30,
        MemorySize=memory,
    )
    wait_active(lam, name)


def update_code(lam: Any, name: str, marker: str) -> None:
    lam.update_function_code(FunctionName=name, ZipFile=package(marker=marker))
    wait_active(lam, name)
