"""REST-JSON (Lambda's model) and Smithy RPC v2 CBOR (Snowball's) through the whole gateway, over ASGI
without sockets. No such service is registered yet, so test-only services stand in: `gateway_for`
wires them by their models' protocols, botocore serializes and signs the requests and parses the
answers, as a boto3 client would."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.config import Config
from headwater.listeners.http.gateway import Gateway
from headwater.listeners.http.server import gateway_for
from headwater.protocol.errors import AwsError
from headwater.protocol.models import service_model
from headwater.runtime.clock import SystemClock
from headwater.services.base import Service
from tests.listeners.http.test_gateway_query import (
    ENDPOINT,
    UUID,
    FakeService,
    NoAdmin,
    Reply,
    call,
    json_post,
)

LAMBDA = service_model("lambda")
SNOWBALL = service_model("snowball")
KEY, SECRET = "111122223333", "modeled-secret"
ARN = "arn:aws:lambda:eu-west-2:111122223333:function:f"


class NoCore:
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def reset(self) -> None: ...


def services(**config: Any) -> tuple[Gateway, FakeService, FakeService, FakeService]:
    lam, snow, sqs = FakeService(LAMBDA), FakeService(SNOWBALL), FakeService()
    built = [
        Service(name, name, NoCore(), api)
        for name, api in (("lambda", lam), ("snowball", snow), ("sqs", sqs))
    ]
    return gateway_for(Config(**config), built, NoAdmin(), SystemClock()), lam, snow, sqs


def send(
    app: Gateway,
    model: Any,
    operation: str,
    params: dict[str, Any],
    *,
    protocol: str | None = None,
    secret: str = SECRET,
) -> Reply:
    """`operation` serialized and signed by botocore, sent through the gateway."""
    serialized = create_serializer(protocol or model.protocol, include_validation=False).serialize_to_request(
        params, model.operation_model(operation)
    )
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    request = create_request_object(serialized)
    SigV4Auth(Credentials(KEY, secret), model.signing_name, "eu-west-2").add_auth(request)
    prepared = request.prepare()
    body = prepared.body or b""
    return call(
        app,
        prepared.method,
        prepared.url,
        body if isinstance(body, bytes) else body.encode(),
        dict(prepared.headers),
    )


def parse(model: Any, operation: str, reply: Reply, protocol: str | None = None) -> dict[str, Any]:
    op = model.operation_model(operation)
    response = {"status_code": reply.status, "headers": HeadersDict(reply.headers), "body": reply.body}
    parsed: dict[str, Any] = create_parser(protocol or model.protocol).parse(
        response, op.output_shape if reply.status < 300 else None
    )
    parsed.pop("ResponseMetadata", None)
    return parsed


# --- REST-JSON: Lambda ------------------------------------------------------------------------------


def test_list_functions_query_members_and_a_json_body() -> None:
    app, lam, _, _ = services()
    result = {
        "Functions": [{"FunctionName": "f", "FunctionArn": ARN, "MemorySize": 128}],
        "NextMarker": "m/2",
    }
    lam.results["ListFunctions"] = result
    reply = send(app, LAMBDA, "ListFunctions", {"MaxItems": 5, "Marker": "m/1"})
    assert reply.status == 200, reply.body
    assert lam.calls[-1][0] == "ListFunctions" and lam.params == {"MaxItems": 5, "Marker": "m/1"}
    ctx = lam.calls[-1][2]
    assert (ctx.protocol, ctx.account, ctx.region) == ("rest-json", KEY, "eu-west-2")
    assert reply.headers["content-type"] == "application/json"
    assert (
        UUID.fullmatch(reply.headers["x-amzn-requestid"])
        and ctx.request_id == reply.headers["x-amzn-requestid"]
    )
    assert parse(LAMBDA, "ListFunctions", reply) == result


def test_get_function_by_an_arn_in_its_path_label() -> None:
    app, lam, _, _ = services()
    lam.results["GetFunction"] = {"Configuration": {"FunctionName": "f", "Timeout": 3}, "Tags": {"k": "v"}}
    reply = send(app, LAMBDA, "GetFunction", {"FunctionName": ARN, "Qualifier": "7"})
    assert reply.status == 200, reply.body
    assert lam.params == {"FunctionName": ARN, "Qualifier": "7"}
    assert parse(LAMBDA, "GetFunction", reply) == lam.results["GetFunction"]


def test_invoke_headers_a_blob_payload_and_the_status_member() -> None:
    app, lam, _, _ = services()
    lam.results["Invoke"] = {
        "StatusCode": 202,
        "FunctionError": "Unhandled",
        "LogResult": "bG9n",
        "ExecutedVersion": "3",
        "Payload": b'{"errorMessage": "boom"}',
    }
    params = {"FunctionName": "f", "InvocationType": "Event", "LogType": "Tail", "Payload": b'{"a": [1, 2]}'}
    reply = send(app, LAMBDA, "Invoke", params)
    assert reply.status == 202, reply.body
    assert lam.params == params
    assert reply.headers["x-amz-function-error"] == "Unhandled"
    assert reply.body == b'{"errorMessage": "boom"}'
    parsed = parse(LAMBDA, "Invoke", reply)
    assert parsed.pop("Payload") == '{"errorMessage": "boom"}'  # boto3 streams it; the bare parser decodes
    assert parsed == {k: v for k, v in lam.results["Invoke"].items() if k != "Payload"}


def test_modeled_errors_take_the_models_status_and_members() -> None:
    app, lam, _, _ = services()
    lam.errors["GetFunction"] = AwsError(
        "ResourceNotFoundException", f"Function not found: {ARN}", details={"Type": "User"}
    )
    reply = send(app, LAMBDA, "GetFunction", {"FunctionName": "f"})
    assert reply.status == 404  # the model's, though raised with AwsError's default 400
    assert reply.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert reply.json() == {
        "__type": "ResourceNotFoundException",
        "Type": "User",
        "Message": f"Function not found: {ARN}",
    }
    error = parse(LAMBDA, "GetFunction", reply)["Error"]
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", f"Function not found: {ARN}")
    # an error the model lacks keeps its own status; unexpected exceptions are internal failures
    lam.errors["ListFunctions"] = AwsError("TooManyRequestsException", "slow down", 429)
    reply = send(app, LAMBDA, "ListFunctions", {})
    assert reply.status == 429 and reply.headers["x-amzn-errortype"] == "TooManyRequestsException"
    lam.errors["ListFunctions"] = RuntimeError("boom")
    reply = send(app, LAMBDA, "ListFunctions", {})
    assert reply.status == 500 and reply.json()["__type"] == "InternalFailure"


def test_validation_and_malformed_bodies_never_reach_the_service() -> None:
    app, lam, _, _ = services()
    reply = send(app, LAMBDA, "GetFunction", {"FunctionName": "f" * 300})
    assert reply.status == 400 and reply.headers["x-amzn-errortype"] == "ValidationException"
    assert reply.json()["message"].startswith(
        "1 validation error detected: Value '"
        + "f" * 300
        + "' at 'functionName' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )
    headers = {"Content-Type": "application/json"}
    reply = call(app, "POST", ENDPOINT + "/2015-03-31/functions", b'{"FunctionName": ', headers)
    assert reply.status == 400 and reply.json()["__type"] == "SerializationException"
    assert lam.calls == []


def test_unknown_routes_and_unimplemented_operations_are_404_unknown_operation() -> None:
    app, lam, _, _ = services()
    for request in (
        ("GET", ENDPOINT + "/2015-03-31/nothing-here"),
        ("DELETE", ENDPOINT + "/2015-03-31/functions"),
    ):
        raw = create_request_object(
            {"method": request[0], "url": request[1], "headers": {}, "body": b"", "context": {}}
        )
        SigV4Auth(Credentials(KEY, SECRET), "lambda", "eu-west-2").add_auth(raw)
        reply = call(app, request[0], request[1], b"", dict(raw.headers))
        assert reply.status == 404, request
        assert reply.headers["x-amzn-errortype"] == "UnknownOperationException"
        assert reply.json() == {"__type": "UnknownOperationException"}
    # a route of the model the service does not implement
    lam.missing = ("GetAccountSettings",)
    reply = send(app, LAMBDA, "GetAccountSettings", {})
    assert (reply.status, reply.headers["x-amzn-errortype"]) == (404, "UnknownOperationException")


def test_strict_auth_is_the_gateways() -> None:
    app, lam, _, _ = services(auth="strict", credentials={KEY: SECRET})
    assert send(app, LAMBDA, "ListFunctions", {}).status == 200
    reply = send(app, LAMBDA, "ListFunctions", {}, secret="wrong")
    # the gateway's verdict, in REST-JSON
    assert reply.status == 400 and reply.headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert len(lam.calls) == 1


# --- RPC v2 CBOR: Snowball ----------------------------------------------------------------------------


def test_describe_addresses_round_trips_in_cbor() -> None:
    app, _, snow, _ = services()
    address = {"AddressId": "ADID1234ab12-3eec-4eb3-9be6-9374c10eb51b", "Name": "n", "City": "c"}
    snow.results["DescribeAddresses"] = {"Addresses": [address], "NextToken": "t2"}
    reply = send(app, SNOWBALL, "DescribeAddresses", {"MaxResults": 5, "NextToken": "t1"})
    assert reply.status == 200, reply.body
    assert snow.params == {"MaxResults": 5, "NextToken": "t1"}
    assert snow.calls[-1][2].protocol == "rpc-v2-cbor"
    assert reply.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert reply.headers["content-type"] == "application/cbor"
    assert parse(SNOWBALL, "DescribeAddresses", reply) == snow.results["DescribeAddresses"]


def test_rpc_v2_errors_and_unknown_operations() -> None:
    app, _, snow, _ = services()
    snow.errors["DescribeJob"] = AwsError(
        "InvalidResourceException", "no such job", details={"ResourceType": "JOB"}
    )
    reply = send(app, SNOWBALL, "DescribeJob", {"JobId": "JID123e4567-e89b-12d3-a456-426655440000"})
    assert reply.status == 400 and reply.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(reply.body) == {
        "__type": "InvalidResourceException",
        "Message": "no such job",
        "ResourceType": "JOB",
    }
    error = parse(SNOWBALL, "DescribeJob", reply)["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidResourceException", "no such job")
    # constraints are checked as for AWS JSON
    reply = send(app, SNOWBALL, "DescribeJob", {"JobId": "short"})
    assert reply.status == 400 and cbor2.loads(reply.body)["__type"] == "ValidationException"
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    reply = call(
        app, "POST", ENDPOINT + "/service/AWSIESnowballJobManagementService/operation/Nope", b"", headers
    )
    assert reply.status == 404 and cbor2.loads(reply.body) == {"__type": "UnknownOperationException"}
    assert len(snow.calls) == 1


def test_snowball_also_answers_aws_json_and_sqs_is_untouched() -> None:
    app, _, snow, sqs = services()
    snow.results["ListJobs"] = {"JobListEntries": [{"JobId": "J1", "IsMaster": True}]}
    reply = send(app, SNOWBALL, "ListJobs", {"MaxResults": 3}, protocol="json")
    assert reply.status == 200 and reply.headers["content-type"] == "application/x-amz-json-1.1"
    assert snow.calls[-1][2].protocol == "json"
    assert parse(SNOWBALL, "ListJobs", reply, "json") == snow.results["ListJobs"]
    assert json_post(app, "ListQueues", {}).status == 200 and sqs.calls[-1][0] == "ListQueues"
    assert call(app, "GET", ENDPOINT + "/?Action=ListQueues").status == 200


@pytest.mark.parametrize("path", ["/2015-03-31/functions", "/2015-03-31/functions/"])
def test_unsigned_requests_find_their_route(path: str) -> None:
    app, lam, _, _ = services()
    assert call(app, "GET", ENDPOINT + path).status == 200
    assert lam.calls[-1][0] == "ListFunctions" and lam.calls[-1][2].account == "000000000000"
