"""The request classifier, without sockets: today's Kinesis, SQS and S3 requests keep their families,
REST-JSON and RPC v2 CBOR requests (serialized and signed by botocore) find their services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.serialize import create_serializer

from headwater.protocol.classify import Classified, Classifier, Family, Request, s3_claims
from headwater.protocol.models import service_model

TODAY = ("kms", "kinesis", "sqs", "s3")
UPCOMING = ("lambda", "iot", "iot-data", "snowball")
ENDPOINT = "http://localhost:4566"
CREDENTIALS = Credentials("AKIDEXAMPLE", "secret")


def classifier(*names: str) -> Classifier:
    return Classifier({name: service_model(name) for name in names})


def request(method: str, url: str, headers: dict[str, str] | None = None) -> Request:
    parts = urlsplit(url)
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    return Request(method, parts.path, parts.path, parts.query, lower)


def signed(method: str, url: str, service: str, headers: dict[str, str] | None = None) -> Request:
    raw = AWSRequest(method=method, url=url, headers=headers or {})
    SigV4Auth(CREDENTIALS, service, "eu-west-2").add_auth(raw)
    return request(method, url, dict(raw.headers))


def botocore_request(service: str, operation: str, params: dict[str, Any], *, sign: bool = True) -> Request:
    model = service_model(service)
    serialized = create_serializer(model.protocol, include_validation=False).serialize_to_request(
        params, model.operation_model(operation)
    )
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    raw = create_request_object(serialized)
    if sign:
        SigV4Auth(CREDENTIALS, model.signing_name, "eu-west-2").add_auth(raw)
    prepared = raw.prepare()
    return request(prepared.method, prepared.url, dict(prepared.headers))


# --- today's services: every family as the gateway and the S3 front end decided it ---------------

JSON = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded"
TODAYS_CASES: list[tuple[str, Request, Classified]] = [
    ("admin", request("GET", ENDPOINT + "/_headwater/health"), Classified(Family.ADMIN)),
    ("admin without a slash", request("GET", ENDPOINT + "/_headwater"), Classified(Family.ADMIN)),
    (
        "kinesis json",
        request(
            "POST", ENDPOINT + "/", {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": JSON}
        ),
        Classified(Family.TARGET, "kinesis", "ListStreams"),
    ),
    (
        "sqs json",
        request("POST", ENDPOINT + "/", {"X-Amz-Target": "AmazonSQS.ListQueues"}),
        Classified(Family.TARGET, "sqs", "ListQueues"),
    ),
    (
        "unknown target",
        request("POST", ENDPOINT + "/", {"X-Amz-Target": "Nope_2020.Op", "Content-Type": JSON}),
        Classified(Family.UNROUTABLE),
    ),
    (
        "query get",
        request("GET", ENDPOINT + "/?Action=ListQueues"),
        Classified(Family.QUERY, "sqs", "ListQueues"),
    ),
    (
        "query form post",
        request("POST", ENDPOINT + "/", {"Content-Type": FORM}),
        Classified(Family.QUERY, "sqs"),
    ),
    (
        "queue url path",
        request("POST", ENDPOINT + "/000000000000/q?Action=ReceiveMessage"),
        Classified(Family.QUERY, "sqs", "ReceiveMessage"),
    ),
    ("signed for sqs", signed("POST", ENDPOINT + "/", "sqs"), Classified(Family.QUERY, "sqs")),
    ("s3 signed", signed("GET", ENDPOINT + "/bucket?list-type=2", "s3"), Classified(Family.S3, "s3")),
    ("s3 put", request("PUT", ENDPOINT + "/bucket/key"), Classified(Family.S3, "s3")),
    ("s3 get object", request("GET", ENDPOINT + "/bucket/key"), Classified(Family.S3, "s3")),
    ("s3 head", request("HEAD", ENDPOINT + "/bucket"), Classified(Family.S3, "s3")),
    (
        "s3 form upload",
        request("POST", ENDPOINT + "/bucket", {"Content-Type": "multipart/form-data; boundary=x"}),
        Classified(Family.S3, "s3"),
    ),
    (
        "s3 virtual host",
        request("GET", ENDPOINT + "/", {"Host": "bucket.s3.localhost.localstack.cloud:4566"}),
        Classified(Family.S3, "s3"),
    ),
    ("root get", request("GET", ENDPOINT + "/"), Classified(Family.UNROUTABLE)),
    ("get queue path", request("GET", ENDPOINT + "/000000000000/q"), Classified(Family.QUERY, "sqs")),
    ("signed for another", signed("POST", ENDPOINT + "/x", "lambda"), Classified(Family.UNROUTABLE)),
]


@pytest.mark.parametrize("extra", [(), UPCOMING], ids=["today", "with-upcoming"])
@pytest.mark.parametrize(("case", "req", "expected"), TODAYS_CASES, ids=[c[0] for c in TODAYS_CASES])
def test_todays_requests_keep_their_family(
    case: str, req: Request, expected: Classified, extra: tuple[str, ...]
) -> None:
    if extra and case == "signed for another":
        expected = Classified(Family.REST_JSON, "lambda")  # Lambda is registered now: its 404 to give
    assert classifier(*TODAY, *extra).classify(req) == expected


def test_presigned_s3_and_the_s3_rule_alone() -> None:
    raw = AWSRequest(method="GET", url=ENDPOINT + "/bucket/key")
    SigV4QueryAuth(CREDENTIALS, "s3", "eu-west-2").add_auth(raw)
    presigned = request("GET", raw.prepare().url)
    assert classifier(*TODAY).classify(presigned) == Classified(Family.S3, "s3")
    assert s3_claims("GET", "/bucket/key", "", {})
    assert not s3_claims("GET", "/bucket/key", "", {"x-amz-target": "X.Y"})
    assert not s3_claims("GET", "/", "", {})
    assert not s3_claims("GET", "/b?Action=x", "Action=ListQueues", {})
    # without S3 registered its rule never answers
    assert classifier("sqs").classify(request("PUT", ENDPOINT + "/bucket/key")) == Classified(
        Family.UNROUTABLE
    )


# --- REST-JSON ----------------------------------------------------------------------------------------


def test_signed_rest_json_requests_route_by_scope_and_path() -> None:
    every = classifier(*TODAY, *UPCOMING)
    arn = "arn:aws:lambda:eu-west-2:123456789012:function:f"
    found = every.classify(botocore_request("lambda", "GetFunction", {"FunctionName": arn}))
    assert found == Classified(Family.REST_JSON, "lambda", "GetFunction", {"FunctionName": arn})
    found = every.classify(botocore_request("lambda", "ListFunctions", {"MaxItems": 5}))
    assert (found.family, found.service, found.operation) == (Family.REST_JSON, "lambda", "ListFunctions")
    found = every.classify(botocore_request("lambda", "Invoke", {"FunctionName": "f", "Payload": b"{}"}))
    assert (found.service, found.operation, found.labels) == ("lambda", "Invoke", {"FunctionName": "f"})
    # iot and iot-data: one path shape, two signing names
    found = every.classify(botocore_request("iot", "DescribeThing", {"thingName": "t"}))
    assert (found.service, found.operation) == ("iot", "DescribeThing")
    found = every.classify(botocore_request("iot-data", "GetThingShadow", {"thingName": "t"}))
    assert (found.service, found.operation) == ("iot-data", "GetThingShadow")
    # an MQTT topic keeps its slashes, encoded (the SDKs) or not (devices signing for the gateway)
    found = every.classify(botocore_request("iot-data", "Publish", {"topic": "a/b c/d", "payload": b"x"}))
    assert (found.service, found.operation, found.labels) == ("iot-data", "Publish", {"topic": "a/b c/d"})
    found = every.classify(signed("POST", ENDPOINT + "/topics/a/b/c?qos=1", "iotdevicegateway"))
    assert (found.service, found.operation, found.labels) == ("iot-data", "Publish", {"topic": "a/b/c"})
    found = every.classify(signed("GET", ENDPOINT + "/retainedMessage", "iotdata"))
    assert (found.service, found.operation) == ("iot-data", "ListRetainedMessages")
    # signed for Lambda, no Lambda route: Lambda's own UnknownOperationException, never S3's
    assert every.classify(signed("PUT", ENDPOINT + "/2015-03-31/nothing", "lambda")) == Classified(
        Family.REST_JSON, "lambda"
    )


def test_unsigned_rest_json_requests_route_by_path_unless_only_s3_would_send_them() -> None:
    every = classifier(*TODAY, *UPCOMING)
    listing = botocore_request("lambda", "ListFunctions", {}, sign=False)
    assert (every.classify(listing).service, every.classify(listing).operation) == ("lambda", "ListFunctions")
    # the same path is an S3 listing without Lambda registered, or with S3's own header
    assert classifier(*TODAY).classify(listing) == Classified(Family.S3, "s3")
    s3_style = request(
        "GET", listing.raw_path, {**listing.headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    )
    assert every.classify(s3_style) == Classified(Family.S3, "s3")
    # no route: S3's as before
    assert every.classify(request("GET", ENDPOINT + "/bucket/key")) == Classified(Family.S3, "s3")


# --- RPC v2 CBOR ----------------------------------------------------------------------------------------


def test_rpc_v2_cbor_requests_route_by_path_and_protocol_header() -> None:
    every = classifier(*TODAY, *UPCOMING)
    found = every.classify(botocore_request("snowball", "DescribeAddresses", {"MaxResults": 5}))
    assert found == Classified(Family.RPCV2_CBOR, "snowball", "DescribeAddresses")
    unsigned = botocore_request("snowball", "ListJobs", {}, sign=False)
    assert every.classify(unsigned) == Classified(Family.RPCV2_CBOR, "snowball", "ListJobs")
    # an operation the model lacks still belongs to the service (which answers UnknownOperation)
    nope = request(
        "POST", ENDPOINT + "/service/AWSIESnowballJobManagementService/operation/Nope", unsigned.headers
    )
    assert every.classify(nope) == Classified(Family.RPCV2_CBOR, "snowball", "Nope")
    # a service nobody registered, or no protocol header: not RPC v2
    other = request("POST", ENDPOINT + "/service/Other/operation/Op", unsigned.headers)
    assert every.classify(other).family is Family.UNROUTABLE
    bare = {k: v for k, v in unsigned.headers.items() if k != "smithy-protocol"}
    assert every.classify(request("POST", unsigned.raw_path, bare)).family is not Family.RPCV2_CBOR
    # Snowball's model also lists AWS JSON: X-Amz-Target requests are the gateway's JSON ones
    target = {"X-Amz-Target": "AWSIESnowballJobManagementService.ListJobs", "Content-Type": JSON}
    assert every.classify(request("POST", ENDPOINT + "/", target)) == Classified(
        Family.TARGET, "snowball", "ListJobs"
    )
