"""Functions built in the tests: Python sources and `provided` bootstrap scripts zipped in memory."""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
import zipfile
from typing import Any

from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def zipped(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, textwrap.dedent(text))
    return buffer.getvalue()


def ensure_role(client: Any) -> str:
    """The execution role: created in IAM when the server runs it (then it is checked)."""
    # it may exist already, or there is no IAM here (roles are not checked then)
    with contextlib.suppress(ClientError):
        client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    return ROLE


def python_function(lam: Any, name: str, source: str, role: str = ROLE, **options: Any) -> dict[str, Any]:
    created = lam.create_function(
        FunctionName=name,
        Runtime=options.pop("Runtime", "python3.11"),
        Role=role,
        Handler=options.pop("Handler", "app.handler"),
        Code={"ZipFile": zipped({"app.py": source})},
        **options,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return created


def invoke(lam: Any, name: str, payload: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode(), **options)
    return answer, json.loads(answer["Payload"].read() or b"null")
