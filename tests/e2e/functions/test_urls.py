"""Function URLs: the configuration API (Create/Get/Update/Delete/ListFunctionUrlConfigs), and the
endpoint itself with httpx: reached by Host (``<id>.lambda-url.<region>.on.aws`` or ``.localhost``)
or the path-style fallback, authorized by the resource policy (NONE needs lambda:InvokeFunctionUrl
and lambda:InvokeFunction for everyone) or SigV4 (AWS_IAM, strict auth), the payload format 2.0
event the function receives, and how its answer maps back to HTTP."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.functions.support import ensure_role, error_of, python_function
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture

ECHO = """
import base64, json

def handler(event, context):
    if event.get("rawPath") == "/fail":
        raise ValueError("boom")
    if event.get("rawPath") == "/plain":
        return {"plain": True}
    if event.get("rawPath") == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG").decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"x-echo": "yes"}, "cookies": ["a=1", "b=2; Path=/"],
            "body": json.dumps(event)}
"""
URL = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.us-east-1\.on\.aws/")

strict = server_fixture(
    "strict-urls",
    "--durability memory --limits off --transition-delay 0 --auth strict --credentials test:test",
)


def public(lam: Any, name: str) -> None:
    """The two statements AWS asks of a NONE URL since October 2025."""
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )


def test_url_configuration_api(lam: Any, role: str) -> None:
    arn = python_function(lam, "web", ECHO, role)["FunctionArn"]
    created = lam.create_function_url_config(
        FunctionName="web", AuthType="NONE", Cors={"AllowOrigins": ["https://app.example"], "MaxAge": 60}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert URL.fullmatch(created["FunctionUrl"]) and created["FunctionArn"] == arn
    assert created["AuthType"] == "NONE" and created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == {"AllowOrigins": ["https://app.example"], "MaxAge": 60}
    got = lam.get_function_url_config(FunctionName="web")
    assert got["FunctionUrl"] == created["FunctionUrl"] and got["CreationTime"] == created["CreationTime"]
    assert error_of(lambda: lam.create_function_url_config(FunctionName="web", AuthType="NONE")) == (
        "ResourceConflictException",
        f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function",
        409,
    )
    updated = lam.update_function_url_config(FunctionName="web", AuthType="AWS_IAM", Cors={})
    assert updated["AuthType"] == "AWS_IAM" and "Cors" not in updated
    assert updated["FunctionUrl"] == created["FunctionUrl"]
    listed = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]
    lam.delete_function_url_config(FunctionName="web")
    assert error_of(lambda: lam.get_function_url_config(FunctionName="web")) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
    )
    code, _, status = error_of(lambda: lam.create_function_url_config(FunctionName="nobody", AuthType="NONE"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, status = error_of(lambda: lam.create_function_url_config(FunctionName="web", AuthType="OPEN"))
    assert (code, status) == ("ValidationException", 400)


def test_none_url_needs_the_public_policy(lam: Any, role: str, endpoint: str) -> None:
    python_function(lam, "web", ECHO, role)
    url_id = URL.fullmatch(
        lam.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    )[1]
    host = f"{url_id}.lambda-url.us-east-1.on.aws"
    denied = httpx.get(f"{endpoint}/", headers={"Host": host})
    assert (denied.status_code, denied.json()) == (403, {"Message": "Forbidden"})
    lam.add_permission(
        FunctionName="web",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert httpx.get(f"{endpoint}/", headers={"Host": host}).status_code == 403  # InvokeFunction too
    lam.add_permission(
        FunctionName="web",
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    assert httpx.get(f"{endpoint}/", headers={"Host": host}).status_code == 201
    unknown = httpx.get(f"{endpoint}/", headers={"Host": "a" * 32 + ".lambda-url.us-east-1.on.aws"})
    assert unknown.status_code == 404


def test_payload_format_2_event_and_answer(lam: Any, role: str, endpoint: str) -> None:
    python_function(lam, "web", ECHO, role)
    url_id = URL.fullmatch(
        lam.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    )[1]
    public(lam, "web")
    host = f"{url_id}.lambda-url.us-east-1.localhost"
    answer = httpx.post(
        f"{endpoint}/some/path?a=1&a=2&b=x%20y",
        headers={
            "Host": f"{host}:4566",
            "Cookie": "c1=v1; c2=v2",
            "X-Custom": "hello",
            "User-Agent": "tester/1.0",
            "Content-Type": "application/json",
        },
        content=b'{"k": "v"}',
    )
    assert answer.status_code == 201
    assert answer.headers["x-echo"] == "yes"
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2; Path=/"]
    event = answer.json()
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path" and event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "hello" and "cookie" not in event["headers"]
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["apiId"] == url_id and context["domainPrefix"] == url_id
    assert context["domainName"] == host and context["accountId"] == "anonymous"
    assert context["http"] == {
        "method": "POST",
        "path": "/some/path",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tester/1.0",
    }
    assert context["routeKey"] == "$default" and context["stage"] == "$default"
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["time"])
    assert isinstance(context["timeEpoch"], int) and context["requestId"]
    # the path-style fallback, a binary body, and the other answer shapes
    base = f"{endpoint}/_headwater/function-urls/{url_id}"
    binary = httpx.put(
        f"{base}/echo", content=b"\x00\xff", headers={"Content-Type": "application/octet-stream"}
    )
    sent = binary.json()
    assert sent["rawPath"] == "/echo" and sent["isBase64Encoded"] is True
    assert base64.b64decode(sent["body"]) == b"\x00\xff"
    assert sent["requestContext"]["domainName"] == f"{url_id}.lambda-url.us-east-1.on.aws"
    plain = httpx.get(f"{base}/plain")
    assert (plain.status_code, plain.headers["content-type"], plain.json()) == (
        200,
        "application/json",
        {"plain": True},
    )
    png = httpx.get(f"{base}/binary")
    assert (png.status_code, png.headers["content-type"], png.content) == (200, "image/png", b"\x89PNG")
    failed = httpx.get(f"{base}/fail")
    assert (failed.status_code, failed.json()) == (502, {"Message": "Internal Server Error"})


def test_cors_preflight(lam: Any, role: str, endpoint: str) -> None:
    python_function(lam, "web", ECHO, role)
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "MaxAge": 300}
    url = lam.create_function_url_config(FunctionName="web", AuthType="NONE", Cors=cors)["FunctionUrl"]
    public(lam, "web")
    host = URL.fullmatch(url)[0].removeprefix("https://").rstrip("/")
    origin = {"Host": host, "Origin": "https://app.example"}
    preflight = httpx.options(f"{endpoint}/x", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-max-age"] == "300"
    got = httpx.get(f"{endpoint}/x", headers=origin)
    assert got.status_code == 201 and got.headers["access-control-allow-origin"] == "https://app.example"
    other = httpx.get(f"{endpoint}/x", headers={"Host": host, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def signed(method: str, url: str, host: str, body: bytes = b"", secret: str = "test") -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Host": host})
    SigV4Auth(Credentials("test", secret), "lambda", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_aws_iam_url_checks_sigv4_in_strict_auth(strict: Server) -> None:
    lam = client_for(strict.endpoint, "lambda")
    role = ensure_role(lambda service: client_for(strict.endpoint, service))
    python_function(lam, "private", ECHO, role)
    url = lam.create_function_url_config(FunctionName="private", AuthType="AWS_IAM")["FunctionUrl"]
    url_id = URL.fullmatch(url)[1]
    host = f"{url_id}.lambda-url.us-east-1.on.aws"
    target = f"{strict.endpoint}/who?x=1"
    assert httpx.get(target, headers={"Host": host}).status_code == 403
    assert httpx.get(target, headers=signed("GET", target, host, secret="wrong")).status_code == 403
    answer = httpx.get(target, headers=signed("GET", target, host))
    assert answer.status_code == 201
    context = answer.json()["requestContext"]
    assert context["accountId"] == "000000000000"
    assert context["authorizer"]["iam"]["accessKey"] == "test"
    # the same account needs no resource policy; a NONE URL needs its public one even when signed
    lam.update_function_url_config(FunctionName="private", AuthType="NONE")
    assert httpx.get(target, headers=signed("GET", target, host)).status_code == 403
