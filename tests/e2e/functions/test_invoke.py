"""Invoking functions end to end: awslambdaric and a `provided` bootstrap as the workers' runtimes."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import invoke, python_function, zipped

ECHO = """
import os

def handler(event, context):
    print("hello from", context.function_name)
    return {
        "event": event,
        "name": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
        "request_id": context.aws_request_id,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "colour": os.environ.get("COLOUR"),
        "function_env": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "region": os.environ["AWS_REGION"],
        "client": context.client_context.custom if context.client_context else None,
    }
"""


def test_sync_invoke_sees_event_context_and_environment(lam: Any, role: str) -> None:
    python_function(lam, "echo", ECHO, role, Environment={"Variables": {"COLOUR": "green"}}, Timeout=5)
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    answer, body = invoke(lam, "echo", {"a": 1}, LogType="Tail", ClientContext=context)
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert answer["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"a": 1} and body["name"] == "echo" and body["colour"] == "green"
    assert 0 < body["remaining"] <= 5000 and body["memory"] == "128"
    assert body["arn"].endswith(":function:echo") and body["function_env"] == "echo"
    assert body["region"] == "us-east-1" and body["client"] == {"k": "v"}
    log = base64.b64decode(answer["LogResult"]).decode()
    assert f"START RequestId: {body['request_id']} Version: $LATEST" in log
    assert "hello from echo" in log and f"END RequestId: {body['request_id']}" in log
    assert "Init Duration:" in log and "Max Memory Used:" in log
    warm, again = invoke(lam, "echo", {"b": 2}, LogType="Tail")
    assert again["event"] == {"b": 2} and again["request_id"] != body["request_id"]
    assert "Init Duration" not in base64.b64decode(warm["LogResult"]).decode()


def test_dry_run_and_event(lam: Any, role: str, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="from-function")["QueueUrl"]
    source = """
    import boto3

    def handler(event, context):
        sqs = boto3.client("sqs")  # AWS_ENDPOINT_URL points at Headwater
        sqs.send_message(QueueUrl=event["url"], MessageBody=event["body"])
        return "sent"
    """
    python_function(lam, "sender", source, role, Timeout=30)
    assert lam.invoke(FunctionName="sender", InvocationType="DryRun")["StatusCode"] == 204
    _, body = invoke(lam, "sender", {"url": url, "body": "sync"})
    assert body == "sent"
    answer = lam.invoke(
        FunctionName="sender", InvocationType="Event", Payload=json.dumps({"url": url, "body": "async"})
    )
    assert answer["StatusCode"] == 202
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        seen += [m["Body"] for m in messages]
    assert sorted(seen) == ["async", "sync"]


def test_handler_errors_as_awslambdaric_reports_them(lam: Any, role: str) -> None:
    source = """
    def handler(event, context):
        if event.get("raise"):
            raise ValueError("bad input")
        return {"errorMessage": "handled by the caller", "errorType": "Mine"}
    """
    python_function(lam, "raiser", source, role)
    answer, body = invoke(lam, "raiser", {"raise": True}, LogType="Tail")
    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input"
    assert any("raise ValueError" in line for line in body["stackTrace"])
    assert "[ERROR] ValueError: bad input" in base64.b64decode(answer["LogResult"]).decode()
    answer, body = invoke(lam, "raiser", {})
    assert "FunctionError" not in answer and body["errorType"] == "Mine"


def test_timeout_crash_and_import_error(lam: Any, role: str) -> None:
    python_function(lam, "sleeper", "import time\ndef handler(e, c):\n    time.sleep(30)\n", role, Timeout=1)
    answer, body = invoke(lam, "sleeper")
    assert answer["FunctionError"] == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    python_function(lam, "crasher", "import os\ndef handler(e, c):\n    os._exit(3)\n", role)
    answer, body = invoke(lam, "crasher")
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")
    python_function(lam, "broken", "import no_such_module\ndef handler(e, c):\n    pass\n", role)
    answer, body = invoke(lam, "broken")
    assert answer["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'app': No module named 'no_such_module'"
    # the server and other functions are unharmed
    python_function(lam, "fine", "def handler(e, c):\n    return 'ok'\n", role)
    assert invoke(lam, "fine")[1] == "ok"


def test_provided_bootstrap(lam: Any, role: str) -> None:
    bootstrap = """\
    #!/bin/sh
    set -eu
    API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
    while true; do
      HEADERS="$(mktemp)"
      EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
      ID="$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
      echo "handling $ID"
      curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"got\\": $EVENT, \\"handler\\": \\"$_HANDLER\\"}"
    done
    """
    lam.create_function(
        FunctionName="shell",
        Runtime="provided.al2023",
        Role=role,
        Handler="function.handler",
        Code={"ZipFile": zipped({"bootstrap": bootstrap}, executable=("bootstrap",))},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="shell", WaiterConfig={"Delay": 0.2})
    answer, body = invoke(lam, "shell", {"x": 1}, LogType="Tail")
    assert body == {"got": {"x": 1}, "handler": "function.handler"}
    assert "handling " in base64.b64decode(answer["LogResult"]).decode()


def test_reserved_concurrency_throttles(lam: Any, role: str) -> None:
    python_function(
        lam, "slow", "import time\ndef handler(e, c):\n    time.sleep(e['s'])\n    return 1\n", role
    )
    invoke(lam, "slow", {"s": 0})  # warm
    assert (
        lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)[
            "ReservedConcurrentExecutions"
        ]
        == 1
    )
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(invoke, lam, "slow", {"s": 2})
        time.sleep(0.5)
        with pytest.raises(ClientError) as caught:
            invoke(lam, "slow", {"s": 0})
        assert first.result()[1] == 1
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError, match="TooManyRequestsException"):
        invoke(lam, "slow", {"s": 0})
    lam.delete_function_concurrency(FunctionName="slow")
    assert invoke(lam, "slow", {"s": 0})[1] == 1


def test_update_code_then_invoke_new_code(lam: Any, role: str) -> None:
    python_function(lam, "versioned", "def handler(e, c):\n    return 'one'\n", role)
    assert invoke(lam, "versioned")[1] == "one"
    updated = lam.update_function_code(
        FunctionName="versioned", ZipFile=zipped({"app.py": "def handler(e, c):\n    return 'two'\n"})
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName="versioned", WaiterConfig={"Delay": 0.2})
    assert invoke(lam, "versioned")[1] == "two"


def test_runtime_api_answers_a_bootstrap_with_aws_statuses(lam: Any, role: str) -> None:
    bootstrap = """\
    #!/bin/sh
    API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
    while true; do
      HEADERS="$(mktemp)"
      curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next"
      ID="$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
      WRONG="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/invocation/not-$ID/response" -d '{}')"
      LATE="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/init/error" -d '{}')"
      NOPE="$(curl -s -o /dev/null -w '%{http_code}' "$API/nothing")"
      curl -s -o /dev/null -X POST "$API/invocation/$ID/response" -d "[$WRONG, $LATE, $NOPE]"
    done
    """
    lam.create_function(
        FunctionName="statuses", Runtime="provided.al2", Role=role, Handler="x",
        Code={"ZipFile": zipped({"bootstrap": bootstrap}, executable=("bootstrap",))},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="statuses", WaiterConfig={"Delay": 0.2})
    assert invoke(lam, "statuses")[1] == [403, 403, 404]


def test_response_over_6_mb_is_an_error(lam: Any, role: str) -> None:
    python_function(lam, "big", "def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n", role, Timeout=30)
    answer, body = invoke(lam, "big")
    assert answer["FunctionError"] == "Unhandled" and body["errorType"] == "Function.ResponseSizeTooLarge"
    assert (
        body["errorMessage"] == "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    )
    python_function(lam, "missing-bootstrap", "", role, Runtime="provided.al2023")
    _, body = invoke(lam, "missing-bootstrap")
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
