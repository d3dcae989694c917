"""protocol.foreign: which service a request names, and an answer every botocore parser reads."""

from __future__ import annotations

import cbor2
import pytest
from botocore.parsers import create_parser

from headwater.protocol import foreign

RUNNING = ("kms", "kinesis", "sqs", "s3", "sts")


def identify(method: str = "POST", path: str = "/", scope: str | None = None, action: str | None = None,
             **headers: str) -> foreign.Foreign | None:  # fmt: skip
    lowered = {name.replace("_", "-").lower(): value for name, value in headers.items()}
    return foreign.identify(foreign.catalog(), method, path, "", lowered, scope, action, RUNNING)


def test_the_request_names_the_service() -> None:
    assert identify(x_amz_target="Firehose_20150804.ListDeliveryStreams") == foreign.Foreign(
        "firehose", "Firehose_20150804.ListDeliveryStreams", "json", "1.1"
    )
    cbor = identify(x_amz_target="DynamoDB_20120810.ListTables", content_type="application/x-amz-cbor-1.1")
    assert cbor is not None and (cbor.service, cbor.dialect) == ("dynamodb", "cbor")
    rpc = identify(
        path="/service/GraniteServiceVersion20100801/operation/ListMetrics", smithy_protocol="rpc-v2-cbor"
    )
    assert rpc == foreign.Foreign("cloudwatch", "ListMetrics", "rpc-v2-cbor")
    assert identify(scope="sns", action="ListTopics") == foreign.Foreign("sns", "ListTopics", "query")
    assert identify(scope="ec2", action="DescribeVpcs") == foreign.Foreign("ec2", "DescribeVpcs", "ec2")
    assert identify("GET", "/2015-03-31/functions/", scope="lambda") == foreign.Foreign(
        "lambda", "ListFunctions", "rest-json"
    )
    assert identify("GET", "/2013-04-01/hostedzone", scope="route53") == foreign.Foreign(
        "route53", "ListHostedZones", "rest-xml"
    )


def test_running_services_and_unknown_names_are_not_foreign() -> None:
    assert identify(x_amz_target="Kinesis_20131202.Nope") is None
    assert identify(scope="sqs", action="Nope") is None
    assert identify(x_amz_target="nonsense") is None
    assert identify(scope="no-such-service") is None


@pytest.mark.parametrize(
    ("dialect", "protocol", "code"),
    [
        ("json", "json", "UnknownOperationException"),
        ("cbor", "json", "UnknownOperationException"),  # parsed by its own decoder below
        ("rpc-v2-cbor", "smithy-rpc-v2-cbor", "UnknownOperationException"),
        ("rest-json", "rest-json", "UnknownOperationException"),
        ("query", "query", "InvalidAction"),
        ("ec2", "ec2", "InvalidAction"),
        ("rest-xml", "rest-xml", "InvalidAction"),
    ],
)
def test_every_dialect_parses(dialect: str, protocol: str, code: str) -> None:
    found = foreign.Foreign("svc", "Op", dialect)
    status, headers, body = foreign.answer(found, RUNNING, "req-1")
    assert status == 400
    message = foreign.message(found, RUNNING)
    if dialect == "cbor":
        assert cbor2.loads(body) == {"__type": code, "message": message}
        return
    parsed = create_parser(protocol).parse(
        {"status_code": status, "headers": dict(headers), "body": body}, None
    )
    assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == (code, message)
