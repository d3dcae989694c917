"""The functions control plane: definitions, errors as AWS words them, the CLI, restarts."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.functions.support import ROLE, ensure_role, error_of, invoke, python_function, zipped
from tests.e2e.support.cli import Cli
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

SOURCE = "def handler(e, c):\n    return {'ok': True}\n"


def test_create_get_list_delete(lam: Any, role: str) -> None:
    created = python_function(lam, "alpha", SOURCE, role, Description="first", MemorySize=256)
    assert created["State"] == "Pending" and created["Version"] == "$LATEST"
    config = lam.get_function_configuration(FunctionName="alpha")
    assert config["State"] == "Active" and config["MemorySize"] == 256 and config["Description"] == "first"
    got = lam.get_function(FunctionName=created["FunctionArn"])
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]
    python_function(lam, "beta", SOURCE, role)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["alpha", "beta"]
    page = lam.list_functions(MaxItems=1)
    assert [f["FunctionName"] for f in page["Functions"]] == ["alpha"] and page["NextMarker"]
    lam.delete_function(FunctionName="alpha")
    code, message, status = error_of(lambda: lam.get_function(FunctionName="alpha"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:alpha"


def test_errors(lam: Any, role: str) -> None:
    python_function(lam, "gamma", SOURCE, role)
    code, message, status = error_of(lambda: python_function(lam, "gamma", SOURCE, role))
    assert (code, message, status) == ("ResourceConflictException", "Function already exist: gamma", 409)
    code, message, _ = error_of(
        lambda: lam.create_function(
            FunctionName="zipless",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": b"nope"},
        )
    )
    assert code == "InvalidParameterValueException" and message.startswith("Could not unzip uploaded file")
    code, _, status = error_of(lambda: lam.invoke(FunctionName="gamma", Payload=b"x" * (6 * 1024 * 1024 + 1)))
    assert (code, status) == ("RequestTooLargeException", 413)
    code, _, _ = error_of(lambda: lam.invoke(FunctionName="gamma", Qualifier="7"))
    assert code == "ResourceNotFoundException"
    code, message, _ = error_of(
        lambda: lam.put_function_concurrency(FunctionName="gamma", ReservedConcurrentExecutions=990)
    )
    assert code == "InvalidParameterValueException" and "below its minimum value of [100]" in message


def test_update_configuration_and_cli(lam: Any, role: str, cli: Callable[..., Cli], tmp_path: Path) -> None:
    python_function(lam, "delta", "import os\ndef handler(e, c):\n    return os.environ.get('MODE')\n", role)
    lam.update_function_configuration(
        FunctionName="delta", Environment={"Variables": {"MODE": "blue"}}, Timeout=9
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName="delta", WaiterConfig={"Delay": 0.2})
    assert lam.get_function_configuration(FunctionName="delta")["Timeout"] == 9
    out = tmp_path / "out.json"
    aws = cli("lambda")
    result = aws.json("invoke", "--function-name", "delta", str(out))
    assert result["StatusCode"] == 200 and json.loads(out.read_text()) == "blue"
    listed = aws.json("list-functions")
    assert [f["FunctionName"] for f in listed["Functions"]] == ["delta"]


def test_restart_keeps_functions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = durable_server(data, "--transition-delay", "0").start()
    try:
        lam = client_for(server.endpoint, "lambda")
        ensure_role(lambda service: client_for(server.endpoint, service))
        lam.create_function(
            FunctionName="durable", Runtime="python3.11", Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zipped({"app.py": SOURCE})}, Environment={"Variables": {"KEY": "v"}},
        )  # fmt: skip
        lam.get_waiter("function_active_v2").wait(FunctionName="durable", WaiterConfig={"Delay": 0.2})
        lam.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=5)
    finally:
        server.stop()
    server = durable_server(data, "--transition-delay", "0").start()
    try:
        lam = client_for(server.endpoint, "lambda")
        got = lam.get_function(FunctionName="durable")
        assert got["Configuration"]["Environment"] == {"Variables": {"KEY": "v"}}
        assert got["Concurrency"] == {"ReservedConcurrentExecutions": 5}
        assert invoke(lam, "durable")[1] == {"ok": True}
    finally:
        server.stop()


def test_code_from_s3_and_code_location(lam: Any, role: str, s3: Any) -> None:
    package = zipped({"app.py": SOURCE})
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="fn.zip", Body=package)
    lam.create_function(
        FunctionName="from-s3", Runtime="python3.11", Role=role, Handler="app.handler",
        Code={"S3Bucket": "code", "S3Key": "fn.zip"},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="from-s3", WaiterConfig={"Delay": 0.2})
    assert invoke(lam, "from-s3")[1] == {"ok": True}
    location = lam.get_function(FunctionName="from-s3")["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=10) as response:
        assert response.read() == package
    code, message, _ = error_of(
        lambda: lam.create_function(
            FunctionName="missing",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"S3Bucket": "code", "S3Key": "nothing.zip"},
        )  # fmt: skip
    )
    assert code == "InvalidParameterValueException"
    assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchKey.")
