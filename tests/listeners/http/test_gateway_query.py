"""The gateway's SQS wire, over ASGI without sockets: a fake service records what the gateway decoded
and answers canned results or AwsErrors; botocore's own serializers, signers and parsers play the
client. Both dialects: AWS JSON 1.0 (awsQueryCompatible) and AWS Query (form POST and GET, to ``/``
or to a queue URL path)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.config import Config
from headwater.listeners.http.gateway import Gateway
from headwater.protocol.errors import AwsError
from headwater.protocol.models import query_model, service_model
from headwater.runtime.clock import SystemClock
from headwater.services.context import RequestContext
from tests.protocol.test_query_codec import _form, sample

SQS = service_model("sqs")
QUERY = query_model("sqs")
FORM = "application/x-www-form-urlencoded; charset=utf-8"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEY, SECRET = "123456789012", "queue-secret"


class FakeService:
    """Records (operation, params, ctx); answers `results[op]` or raises `errors[op]`."""

    def __init__(self, model: Any = SQS, missing: tuple[str, ...] = ()) -> None:
        self.model = model
        self.missing = missing
        self.results: dict[str, Any] = {}
        self.errors: dict[str, Exception] = {}
        self.calls: list[tuple[str, dict[str, Any], RequestContext]] = []

    def operation(self, name: str) -> Any:
        if name in self.missing or name not in self.model.operation_names:
            return None

        async def handler(params: dict[str, Any], ctx: RequestContext) -> Any:
            self.calls.append((name, params, ctx))
            if name in self.errors:
                raise self.errors[name]
            return self.results.get(name, {})

        return handler

    @property
    def params(self) -> dict[str, Any]:
        return self.calls[-1][1]


class NoAdmin:
    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        return 404, "text/plain", b""


def gateway(sqs: FakeService, kinesis: FakeService | None = None, **config: Any) -> Gateway:
    services: dict[str, Any] = {"sqs": sqs}
    if kinesis is not None:
        services["kinesis"] = kinesis
    return Gateway(Config(**config), services, NoAdmin(), SystemClock())


class Reply:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = {k.decode(): v.decode() for k, v in headers}
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: Gateway,
    method: str,
    url: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    scheme: str = "http",
) -> Reply:
    parts = urlsplit(url)
    sent = {k.lower(): v for k, v in (headers or {}).items()}
    sent.setdefault("host", parts.netloc)
    scope = {
        "type": "http",
        "method": method,
        "scheme": scheme,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
        "http_version": "1.1",
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start, content = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
    return Reply(start["status"], start["headers"], content)


ENDPOINT = "http://localhost:4566"


def query_post(app: Gateway, fields: Mapping[str, Any], path: str = "/", **headers: str) -> Reply:
    return call(
        app,
        "POST",
        ENDPOINT + path,
        urlencode(_form(dict(fields))).encode(),
        {"Content-Type": FORM, **headers},
    )


def query_get(app: Gateway, fields: Mapping[str, Any], path: str = "/") -> Reply:
    return call(app, "GET", f"{ENDPOINT}{path}?{urlencode(_form(dict(fields)))}")


def json_post(app: Gateway, operation: str, params: Any) -> Reply:
    serializer = create_serializer("json", include_validation=False)
    request = serializer.serialize_to_request(params, SQS.operation_model(operation))
    return call(app, "POST", ENDPOINT + "/", request["body"], request["headers"])


def parse_query(operation: str, reply: Reply) -> dict[str, Any]:
    op = QUERY.operation_model(operation)
    response = {"status_code": reply.status, "headers": reply.headers, "body": reply.body}
    return create_parser("query").parse(response, op.output_shape if reply.status == 200 else None)


def query_error(reply: Reply) -> dict[str, Any]:
    """The parsed ``<Error>`` of a Query error response (its empty ``<Detail/>`` left out)."""
    error = parse_query("ListQueues", reply)["Error"]
    assert error.pop("Detail") is None
    return error  # type: ignore[no-any-return]


def parse_json(operation: str, reply: Reply) -> dict[str, Any]:
    op = SQS.operation_model(operation)
    response = {"status_code": reply.status, "headers": reply.headers, "body": reply.body}
    return create_parser("json").parse(response, op.output_shape if reply.status == 200 else None)


def query_params(operation: str) -> dict[str, Any]:
    params = sample(QUERY.operation_model(operation).input_shape)
    if operation == "ReceiveMessage":
        del params["MessageSystemAttributeNames"]  # AttributeName.N too: it would overwrite AttributeNames
    return params


# --- Query round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("operation", SQS.operation_names)
def test_every_operation_round_trips_on_the_query_wire(operation: str, method: str) -> None:
    service = FakeService()
    app = gateway(service)
    op = QUERY.operation_model(operation)
    params = query_params(operation)
    result = sample(op.output_shape) if op.output_shape is not None else {}
    service.results[operation] = result
    fields = create_serializer("query").serialize_to_request(params, op)["body"]
    assert fields["Action"] == operation and fields["Version"] == "2012-11-05"
    reply = query_post(app, fields) if method == "POST" else query_get(app, fields)
    assert reply.status == 200, reply.body
    assert service.calls[-1][0] == operation
    assert service.params == params
    assert service.calls[-1][2].protocol == "query"
    assert reply.headers["content-type"] == "text/xml"
    parsed = parse_query(operation, reply)
    assert parsed.pop("ResponseMetadata")["RequestId"] == reply.headers["x-amzn-requestid"]
    assert UUID.fullmatch(reply.headers["x-amzn-requestid"])
    assert parsed == result


@pytest.mark.parametrize("operation", SQS.operation_names)
def test_every_operation_round_trips_on_the_json_wire(operation: str) -> None:
    service = FakeService()
    app = gateway(service)
    op = SQS.operation_model(operation)
    params = sample(op.input_shape)
    result = sample(op.output_shape) if op.output_shape is not None else {}
    service.results[operation] = result
    reply = json_post(app, operation, params)
    assert reply.status == 200, reply.body
    assert service.params == params and service.calls[-1][2].protocol == "json"
    assert reply.headers["content-type"] == "application/x-amz-json-1.0"
    assert UUID.fullmatch(reply.headers["x-amzn-requestid"])
    parsed = parse_json(operation, reply)
    parsed.pop("ResponseMetadata")
    assert parsed == result


def test_query_string_and_form_body_merge_form_wins() -> None:
    service = FakeService()
    app = gateway(service)
    body = urlencode({"QueueName": "from-body"}).encode()
    reply = call(
        app, "POST", f"{ENDPOINT}/?Action=GetQueueUrl&QueueName=from-query", body, {"Content-Type": FORM}
    )
    assert reply.status == 200
    assert service.params == {"QueueName": "from-body"}
    # Action in the query string of a POST without a form body (AWS answers it: a public queue's
    # ReceiveMessage by curl -X POST '...?Action=ReceiveMessage')
    reply = call(app, "POST", f"{ENDPOINT}/000000000000/q?Action=ReceiveMessage")
    assert reply.status == 200 and service.calls[-1][0] == "ReceiveMessage"


# --- the queue URL as the endpoint ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/000000000000/orders", "/000000000000/orders/"])
def test_queue_url_path_supplies_the_queue_url(path: str) -> None:
    service = FakeService()
    app = gateway(service)
    assert query_post(app, {"Action": "SendMessage", "MessageBody": "hi"}, path).status == 200
    assert service.params == {"QueueUrl": "http://localhost:4566/000000000000/orders", "MessageBody": "hi"}
    assert query_get(app, {"Action": "PurgeQueue"}, path).status == 200
    assert service.params == {"QueueUrl": "http://localhost:4566/000000000000/orders"}


def test_queue_url_echoes_scheme_and_host_and_yields_to_an_explicit_queue_url() -> None:
    service = FakeService()
    app = gateway(service)
    body = urlencode({"Action": "DeleteQueue"}).encode()
    headers = {"Content-Type": FORM, "Host": "sqs.example:8443"}
    assert call(app, "POST", f"{ENDPOINT}/123456789012/q.fifo", body, headers, scheme="https").status == 200
    assert service.params == {"QueueUrl": "https://sqs.example:8443/123456789012/q.fifo"}
    query_post(app, {"Action": "DeleteQueue", "QueueUrl": "http://x/000000000000/other"}, "/000000000000/q")
    assert service.params == {"QueueUrl": "http://x/000000000000/other"}
    # not a queue URL (account not 12 digits): no QueueUrl is made up
    reply = query_post(app, {"Action": "DeleteQueue"}, "/1234/q")
    assert query_error(reply)["Message"] == "The request must contain the parameter QueueUrl."


# --- errors in both dialects -------------------------------------------------------------------------

ERROR_CASES = [
    ("GetQueueUrl", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400),
    ("CreateQueue", "QueueNameExists", "QueueAlreadyExists", 400),
    ("PurgeQueue", "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    ("ReceiveMessage", "OverLimit", "OverLimit", 403),
    ("ListMessageMoveTasks", "ResourceNotFoundException", "ResourceNotFoundException", 404),
    (
        "SendMessageBatch",
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        400,
    ),
    ("DeleteMessage", "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400),
    ("SendMessage", "InvalidParameterValueException", "InvalidParameterValue", 400),
    ("SendMessage", "InvalidParameterValue", "InvalidParameterValue", 400),  # raised by its Query code
    ("AddPermission", "AccessDeniedException", "AccessDenied", 403),
]


@pytest.mark.parametrize(("operation", "name", "query_code", "status"), ERROR_CASES)
def test_errors_in_the_json_dialect(operation: str, name: str, query_code: str, status: int) -> None:
    service = FakeService()
    service.errors[operation] = AwsError(name, "it went wrong")
    reply = json_post(gateway(service), operation, query_params(operation))
    json_name = "InvalidParameterValueException" if name == "InvalidParameterValue" else name
    assert reply.status == status
    assert reply.headers["content-type"] == "application/x-amz-json-1.0"
    assert reply.headers["x-amzn-query-error"] == f"{query_code};Sender"
    assert reply.json() == {"__type": json_name, "message": "it went wrong"}
    error = parse_json(operation, reply)["Error"]
    assert error["Code"] == query_code and error["QueryErrorCode"] == json_name
    assert error["Message"] == "it went wrong" and error["Type"] == "Sender"


@pytest.mark.parametrize(("operation", "name", "query_code", "status"), ERROR_CASES)
def test_errors_in_the_query_dialect(operation: str, name: str, query_code: str, status: int) -> None:
    service = FakeService()
    service.errors[operation] = AwsError(name, "it went wrong")
    fields = create_serializer("query").serialize_to_request(
        query_params(operation), QUERY.operation_model(operation)
    )
    reply = query_post(gateway(service), fields["body"])
    assert reply.status == status
    assert reply.headers["content-type"] == "text/xml"
    assert "x-amzn-query-error" not in reply.headers
    parsed = parse_query(operation, reply)
    expected = "it went wrong"
    if name == "QueueDoesNotExist":
        expected = "The specified queue does not exist for this wsdl version."
    assert parsed["Error"] == {"Type": "Sender", "Code": query_code, "Message": expected, "Detail": None}
    assert parsed["ResponseMetadata"]["RequestId"] == reply.headers["x-amzn-requestid"]
    assert reply.body.startswith(
        b'<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
    )
    assert b"<Detail/>" in reply.body


def test_unexpected_exceptions_are_internal_failures_in_both_dialects() -> None:
    service = FakeService()
    service.errors["ListQueues"] = RuntimeError("boom")
    app = gateway(service)
    reply = json_post(app, "ListQueues", {})
    assert reply.status == 500
    assert reply.headers["x-amzn-query-error"] == "InternalFailure;Receiver"
    assert reply.json()["__type"] == "InternalFailure"
    assert reply.headers["x-amzn-requestid"] in reply.json()["message"]
    reply = query_get(app, {"Action": "ListQueues"})
    assert reply.status == 500
    error = query_error(reply)
    assert error["Code"] == "InternalFailure" and error["Type"] == "Receiver"


def test_an_error_with_its_own_query_code_outside_the_table() -> None:
    service = FakeService()
    service.errors["ListQueues"] = AwsError("Odd", "m", 409, query_code="Odd.Code", sender_fault=False)
    app = gateway(service)
    reply = json_post(app, "ListQueues", {})
    assert (reply.status, reply.headers["x-amzn-query-error"]) == (409, "Odd.Code;Receiver")
    reply = query_get(app, {"Action": "ListQueues"})
    assert reply.status == 409
    assert query_error(reply) == {
        "Type": "Receiver",
        "Code": "Odd.Code",
        "Message": "m",
    }


# --- what the gateway itself refuses -----------------------------------------------------------------


def test_unknown_or_unimplemented_action_is_invalid_action() -> None:
    service = FakeService(missing=("TagQueue",))
    app = gateway(service)
    for action in ("ListQueue", "TagQueue", "<script>"):
        reply = query_get(app, {"Action": action})
        assert reply.status == 400
        error = query_error(reply)
        assert error == {
            "Type": "Sender",
            "Code": "InvalidAction",
            "Message": f"The action {action} is not valid for this endpoint.",
        }
    assert service.calls == []


@pytest.mark.parametrize(
    ("method", "url", "body", "content_type"),
    [
        ("POST", "/", b"Version=2012-11-05&QueueName=q", FORM),
        ("POST", "/", b"", "application/x-www-form-urlencoded"),
        ("GET", "/000000000000/q", b"", None),
        ("POST", "/000000000000/q", b"{}", "application/json"),
        ("GET", "/?Action=", b"", None),
    ],
)
def test_a_query_request_without_action_is_aws_unknown_operation(
    method: str, url: str, body: bytes, content_type: str | None
) -> None:
    service = FakeService()
    headers = {"Content-Type": content_type} if content_type else {}
    reply = call(gateway(service), method, ENDPOINT + url, body, headers)
    assert reply.status == 404
    assert reply.body == b"<UnknownOperationException/>\n"
    assert "content-type" not in reply.headers
    assert UUID.fullmatch(reply.headers["x-amzn-requestid"])
    assert service.calls == []


def test_requests_that_are_not_query_keep_the_json_front_end_answers() -> None:
    app = gateway(FakeService())
    reply = call(app, "GET", ENDPOINT + "/", b"", {"Content-Type": "application/x-amz-json-1.0"})
    assert (reply.status, reply.json()) == (400, {"__type": "UnknownOperationException"})
    reply = call(app, "PUT", ENDPOINT + "/?Action=ListQueues")  # Query is GET and POST only
    assert reply.status == 403 and reply.json()["__type"] == "MissingAuthenticationTokenException"
    reply = call(
        app,
        "POST",
        ENDPOINT + "/",
        b"{}",
        {"X-Amz-Target": "AmazonSQS.Nope", "Content-Type": "application/x-amz-json-1.0"},
    )
    assert (reply.status, reply.json()) == (400, {"__type": "UnknownOperationException"})


def test_missing_required_member_is_missing_parameter() -> None:
    service = FakeService()
    app = gateway(service)
    reply = json_post(app, "SendMessage", {"QueueUrl": "u"})
    assert reply.status == 400
    assert reply.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert reply.json() == {
        "__type": "MissingRequiredParameterException",
        "message": "The request must contain the parameter MessageBody.",
    }
    reply = query_post(app, {"Action": "SetQueueAttributes", "QueueUrl": "u"})
    assert query_error(reply) == {
        "Type": "Sender",
        "Code": "MissingParameter",
        "Message": "The request must contain the parameter Attribute.Name.",
    }
    assert service.calls == []
    # enum members are not checked up front: the service words those errors
    json_post(app, "ReceiveMessage", {"QueueUrl": "u", "AttributeNames": ["NoSuchName"]})
    assert service.params["AttributeNames"] == ["NoSuchName"]


def test_malformed_values() -> None:
    app = gateway(FakeService())
    reply = query_post(app, {"Action": "ReceiveMessage", "QueueUrl": "u", "MaxNumberOfMessages": "ten"})
    error = query_error(reply)
    assert reply.status == 400 and error["Code"] == "InvalidParameterValue"
    assert "MaxNumberOfMessages" in error["Message"]
    reply = call(
        app, "POST", ENDPOINT + "/", b"Action=ListQueues&QueueNamePrefix=%ff", {"Content-Type": FORM}
    )
    assert reply.status == 400 and query_error(reply)["Code"] == "InvalidParameterValue"
    # JSON: AWS SQS words a type mismatch by JSON token ("STRING_VALUE can not be converted to an Integer")
    body = json.dumps({"QueueUrl": "u", "MaxNumberOfMessages": "ten"}).encode()
    headers = {"X-Amz-Target": "AmazonSQS.ReceiveMessage", "Content-Type": "application/x-amz-json-1.0"}
    reply = call(app, "POST", ENDPOINT + "/", body, headers)
    assert reply.status == 400
    assert reply.json() == {
        "__type": "SerializationException",
        "Message": "STRING_VALUE can not be converted to an Integer",
    }
    reply = call(
        app, "POST", ENDPOINT + "/", b'{"QueueUrl": 7}', {**headers, "X-Amz-Target": "AmazonSQS.PurgeQueue"}
    )
    assert reply.json()["Message"] == "NUMBER_VALUE can not be converted to a String"


# --- SigV4 -----------------------------------------------------------------------------------------


def signed(
    method: str, url: str, body: bytes = b"", *, secret: str = SECRET, presign: bool = False
) -> tuple[str, dict[str, str], bytes]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": FORM} if body else {})
    signer = SigV4QueryAuth if presign else SigV4Auth
    signer(Credentials(KEY, secret), "sqs", "eu-west-2").add_auth(request)
    prepared = request.prepare()
    return prepared.url, dict(prepared.headers), body


@pytest.mark.parametrize("how", ["post", "get", "presigned-get", "post-to-queue-url"])
def test_strict_sigv4_verifies_query_requests(how: str) -> None:
    service = FakeService()
    app = gateway(service, auth="strict", credentials={KEY: SECRET})
    fields = {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "a b+c/é\r\n"}
    path = "/123456789012/q" if how == "post-to-queue-url" else "/"
    if path == "/":
        fields["QueueUrl"] = "http://localhost:4566/123456789012/q"
    fields = urlencode(fields)
    if how.startswith("post"):
        request = signed("POST", ENDPOINT + path, fields.encode())
    else:
        # SigV4 clients encode a GET's query with %20 for spaces (botocore signs a given query verbatim)
        query = urlencode(dict(parse_qsl(fields)), quote_via=quote)
        request = signed("GET", f"{ENDPOINT}/123456789012/q?{query}", presign=how == "presigned-get")
    reply = call(app, "POST" if how.startswith("post") else "GET", *request[:1], request[2], request[1])
    assert reply.status == 200, reply.body
    name, params, ctx = service.calls[-1]
    assert name == "SendMessage" and params["MessageBody"] == "a b+c/é\r\n"
    assert (ctx.account, ctx.region) == ("123456789012", "eu-west-2")
    # a wrong secret fails, in the Query dialect
    bad = signed("POST", ENDPOINT + "/", fields.encode(), secret="wrong")
    reply = call(app, "POST", bad[0], bad[2], bad[1])
    assert reply.status == 403
    error = query_error(reply)
    assert error["Code"] == "SignatureDoesNotMatch" and error["Type"] == "Sender"


def test_strict_mode_refuses_unsigned_query_requests_in_their_dialect() -> None:
    app = gateway(FakeService(), auth="strict", credentials={KEY: SECRET})
    reply = query_get(app, {"Action": "ListQueues"})
    assert reply.status == 403
    assert query_error(reply)["Code"] == "MissingAuthenticationToken"
    other = signed("POST", ENDPOINT + "/", b"Action=ListQueues")
    reply = call(
        app,
        "POST",
        other[0],
        other[2],
        {**other[1], "Authorization": other[1]["Authorization"].replace(KEY, "AKIDUNKNOWN")},
    )
    assert reply.status == 403
    assert query_error(reply)["Code"] == "InvalidClientTokenId"


def test_the_signature_scope_names_the_query_service() -> None:
    service = FakeService()
    app = gateway(service)
    # open mode: the scope's account and region reach the service; an unknown Action is InvalidAction
    request = signed("POST", ENDPOINT + "/", b"Action=ListQueues")
    assert call(app, "POST", request[0], request[2], request[1]).status == 200
    assert (service.calls[-1][2].account, service.calls[-1][2].region) == ("123456789012", "eu-west-2")
    request = signed("POST", ENDPOINT + "/", b"Version=2012-11-05")  # signed for sqs, no Action
    assert call(app, "POST", request[0], request[2], request[1]).status == 404


# --- Kinesis is untouched ------------------------------------------------------------------------------


def test_kinesis_keeps_its_validation_and_errors() -> None:
    kinesis_model = service_model("kinesis")
    kinesis = FakeService(kinesis_model)
    app = gateway(FakeService(), kinesis)
    headers = {"X-Amz-Target": "Kinesis_20131202.CreateStream", "Content-Type": "application/x-amz-json-1.1"}
    reply = call(app, "POST", ENDPOINT + "/", b"{}", headers)
    assert reply.status == 400 and "x-amzn-query-error" not in reply.headers
    assert reply.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: "
        "Member must not be null",
    }
    kinesis.errors["ListStreams"] = AwsError("ResourceNotFoundException", "gone")
    headers["X-Amz-Target"] = "Kinesis_20131202.ListStreams"
    reply = call(app, "POST", ENDPOINT + "/", b"{}", headers)
    assert (reply.status, reply.json()) == (400, {"__type": "ResourceNotFoundException", "message": "gone"})
    assert (
        reply.headers["content-type"] == "application/x-amz-json-1.1"
        and "x-amzn-query-error" not in reply.headers
    )
    reply = call(app, "POST", ENDPOINT + "/", b'{"Limit": "1"}', headers)
    assert reply.json()["Message"] == "class java.lang.String can not be converted to an Integer"
