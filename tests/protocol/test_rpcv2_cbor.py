"""Smithy RPC v2 CBOR against botocore's own client serializer and parser, on Snowball."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2
import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from headwater.protocol import rpcv2_cbor
from headwater.protocol.errors import AwsError
from headwater.protocol.models import service_model

CASES = [
    (
        "CreateAddress",
        {"Address": {"Name": "n", "Street1": "s", "City": "c", "Country": "US", "IsRestricted": False}},
    ),
    ("DescribeJob", {"JobId": "JID123e4567-e89b-12d3-a456-426655440000"}),
    ("ListJobs", {"MaxResults": 10, "NextToken": "t"}),
    ("ListClusters", {}),
    (
        "CreateJob",
        {
            "JobType": "IMPORT",
            "Resources": {"S3Resources": [{"BucketArn": "arn:aws:s3:::b", "KeyRange": {"BeginMarker": "a"}}]},
            "Description": "d",
            "SnowballCapacityPreference": "T100",
            "ForwardingAddressId": "ADID1234ab12-3eec-4eb3-9be6-9374c10eb51b",
        },
    ),
]


def _request(operation: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    op = service_model("snowball").operation_model(operation)
    return op, create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, op)


@pytest.mark.parametrize(("operation", "params"), CASES, ids=[c[0] for c in CASES])
def test_botocore_requests_parse_back(operation: str, params: dict[str, Any]) -> None:
    op, request = _request(operation, params)
    headers = {k: v for k, v in request["headers"].items()}
    assert rpcv2_cbor.route(request["method"], request["url_path"], headers) == (
        rpcv2_cbor.service_name(op.service_model),
        operation,
    )
    assert rpcv2_cbor.parse_request(op, request["body"]) == params


def test_route_needs_the_protocol_header_and_post() -> None:
    path = "/service/AWSIESnowballJobManagementService/operation/ListJobs"
    assert rpcv2_cbor.route("POST", path, {"smithy-protocol": "rpc-v2-cbor"}) is not None
    assert rpcv2_cbor.route("POST", path, {"Smithy-Protocol": "rpc-v2-cbor"}) is not None
    assert rpcv2_cbor.route("GET", path, {"smithy-protocol": "rpc-v2-cbor"}) is None
    assert rpcv2_cbor.route("POST", path, {}) is None
    assert rpcv2_cbor.route("POST", "/", {"smithy-protocol": "rpc-v2-cbor"}) is None


def test_plain_bodies_and_malformed_cbor() -> None:
    op = service_model("snowball").operation_model("ListJobs")
    body = cbor2.dumps({"MaxResults": 3, "NextToken": "x"})
    assert rpcv2_cbor.parse_request(op, body) == {"MaxResults": 3, "NextToken": "x"}
    with pytest.raises(AwsError):
        rpcv2_cbor.parse_request(op, b"\xff\xfe")
    assert rpcv2_cbor.parse_request(op, b"") == {}


def _parse(op: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    response = {"status_code": status, "headers": dict(headers), "body": body}
    parsed: dict[str, Any] = create_parser("smithy-rpc-v2-cbor").parse(response, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_responses_read_back_by_botocore() -> None:
    op = service_model("snowball").operation_model("DescribeJob")
    created = dt.datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=dt.UTC)
    result = {"JobMetadata": {"JobId": "j", "JobState": "New", "CreationDate": created, "Description": "d"}}
    status, headers, body = rpcv2_cbor.serialize_response(op, result)
    assert status == 200 and ("smithy-protocol", "rpc-v2-cbor") in headers
    parsed = _parse(op, status, headers, body)
    assert parsed["JobMetadata"]["CreationDate"] == created
    assert parsed == result


def test_errors_read_back_by_botocore() -> None:
    model = service_model("snowball")
    status, headers, body = rpcv2_cbor.serialize_error(model, "InvalidJobStateException", "bad state")
    assert status == 400
    response = {"status_code": status, "headers": dict(headers), "body": body}
    parsed = create_parser("smithy-rpc-v2-cbor").parse(response, None)
    assert parsed["Error"] == {"Code": "InvalidJobStateException", "Message": "bad state"}
