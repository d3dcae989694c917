"""SigV4 end to end: `--auth strict` verification, and in open mode the account and region that the
credential scope selects."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server, server_fixture
from tests.e2e.support.wire import h2c_client

ACCOUNT_KEY, ACCOUNT_SECRET = "123456789012", "account-secret"
NAMED_KEY, NAMED_SECRET = "AKIDHEADWATER", "named-secret"
JSON = "application/x-amz-json-1.1"
MISMATCH = "The request signature we calculated does not match the signature you provided."


strict = server_fixture(
    "strict",
    f"--durability memory --limits off --transition-delay 0 --auth strict --credentials {ACCOUNT_KEY}:{ACCOUNT_SECRET},{NAMED_KEY}:{NAMED_SECRET}",
)


def kinesis_as(endpoint: str, key: str, secret: str, region: str = "us-east-1"):  # noqa: ANN201
    return client_for(endpoint, region=region, access_key=key, secret_key=secret)


def error_of(call, **kwargs) -> tuple[str, str]:  # noqa: ANN001
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], error.get("Message", "")


def signed(
    endpoint: str, operation: str, body: bytes, key: str = ACCOUNT_KEY, secret: str = ACCOUNT_SECRET
) -> dict:
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": JSON, "X-Amz-Target": f"Kinesis_20131202.{operation}"},
    )
    SigV4Auth(Credentials(key, secret), "kinesis", "us-east-1").add_auth(request)
    return dict(request.headers.items())


# --- strict mode -------------------------------------------------------------------------------


def test_signed_requests_pass_and_select_the_account(strict: Server) -> None:
    by_account = kinesis_as(strict.endpoint, ACCOUNT_KEY, ACCOUNT_SECRET)
    by_account.create_stream(StreamName="strict", ShardCount=1)
    arn = by_account.describe_stream_summary(StreamName="strict")["StreamDescriptionSummary"]["StreamARN"]
    assert arn == f"arn:aws:kinesis:us-east-1:{ACCOUNT_KEY}:stream/strict"
    put = by_account.put_record(StreamName="strict", Data=b"signed", PartitionKey="k")
    assert put["ShardId"] == "shardId-000000000000"
    # a key that is not 12 digits signs for the server's default account
    named = kinesis_as(strict.endpoint, NAMED_KEY, NAMED_SECRET)
    assert "strict" not in named.list_streams()["StreamNames"]
    named.create_stream(StreamName="named", ShardCount=1)
    summary = named.describe_stream_summary(StreamName="named")["StreamDescriptionSummary"]
    assert summary["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/named"


def test_wrong_secret_is_an_invalid_signature(strict: Server) -> None:
    code, message = error_of(kinesis_as(strict.endpoint, ACCOUNT_KEY, "not-the-secret").list_streams)
    assert code == "InvalidSignatureException"
    assert message.startswith(MISMATCH)


def test_unknown_key_is_unrecognized(strict: Server) -> None:
    code, message = error_of(kinesis_as(strict.endpoint, "999999999999", ACCOUNT_SECRET).list_streams)
    assert code == "UnrecognizedClientException"
    assert message == "The security token included in the request is invalid."


def test_unsigned_and_malformed_authorization(strict: Server) -> None:
    headers = {"Content-Type": JSON, "X-Amz-Target": "Kinesis_20131202.ListStreams"}
    unsigned = httpx.post(strict.endpoint, content=b"{}", headers=headers)
    assert unsigned.status_code == 400
    assert unsigned.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
    assert unsigned.headers["x-amzn-requestid"]
    incomplete = httpx.post(strict.endpoint, content=b"{}", headers={**headers, "Authorization": "X"})
    assert incomplete.status_code == 400
    assert incomplete.json()["__type"] == "IncompleteSignatureException"
    assert incomplete.json()["message"].startswith("Authorization header requires 'Credential' parameter.")


@pytest.mark.parametrize(
    ("shift", "text"), [(-20, "Signature expired: "), (20, "Signature not yet current: ")]
)
def test_signatures_outside_the_time_window(strict: Server, shift: int, text: str) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=shift)
    kinesis = kinesis_as(strict.endpoint, ACCOUNT_KEY, ACCOUNT_SECRET)
    # both signers: botocore's own, and the CRT one botocore picks when awscrt is installed
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=when),
        mock.patch("botocore.crt.auth.get_current_datetime", return_value=when),
    ):
        code, message = error_of(kinesis.list_streams)
    assert code == "InvalidSignatureException"
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"{text}{stamp} is ")


def test_tampered_body_is_an_invalid_signature(strict: Server) -> None:
    body = json.dumps({"StreamName": "tampered", "ShardCount": 1}).encode()
    headers = signed(strict.endpoint, "CreateStream", body)
    forged = body.replace(b'"ShardCount": 1', b'"ShardCount": 9')
    response = httpx.post(strict.endpoint, content=forged, headers=headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidSignatureException"
    assert response.json()["message"].startswith(MISMATCH)
    # a header that was signed, changed in flight
    target = {**headers, "X-Amz-Target": "Kinesis_20131202.DeleteStream"}
    assert (
        httpx.post(strict.endpoint, content=body, headers=target).json()["__type"]
        == "InvalidSignatureException"
    )
    # the genuine request passes
    assert httpx.post(strict.endpoint, content=body, headers=headers).status_code == 200


def test_http2_requests_verify_against_the_authority(strict: Server) -> None:
    """HTTP/2 has no Host header: the signed `host` is the :authority pseudo-header."""
    body = b"{}"
    with h2c_client() as client:
        response = client.post(
            strict.endpoint, content=body, headers=signed(strict.endpoint, "ListStreams", body)
        )
        assert response.http_version == "HTTP/2"
        assert response.status_code == 200, response.text
        forged = client.post(
            strict.endpoint, content=b'{"Limit":1}', headers=signed(strict.endpoint, "ListStreams", body)
        )
        assert forged.json()["__type"] == "InvalidSignatureException"


# --- open mode: the scope picks account and region -----------------------------------------------


def test_twelve_digit_keys_select_their_own_account(endpoint: str) -> None:
    first = kinesis_as(endpoint, "111111111111", "any")
    second = kinesis_as(endpoint, "222222222222", "whatever")
    first.create_stream(StreamName="mine", ShardCount=1)
    summary = first.describe_stream_summary(StreamName="mine")["StreamDescriptionSummary"]
    assert summary["StreamARN"] == "arn:aws:kinesis:us-east-1:111111111111:stream/mine"
    assert second.list_streams()["StreamNames"] == []
    code, message = error_of(second.describe_stream_summary, StreamName="mine")
    assert code == "ResourceNotFoundException"
    assert message == "Stream mine under account 222222222222 not found."
    # the same name is free in the other account
    second.create_stream(StreamName="mine", ShardCount=2)
    assert (
        second.describe_stream_summary(StreamName="mine")["StreamDescriptionSummary"]["OpenShardCount"] == 2
    )
    assert first.describe_stream_summary(StreamName="mine")["StreamDescriptionSummary"]["OpenShardCount"] == 1
    # any other key id is the server's default account
    assert kinesis_as(endpoint, "test", "test").list_streams()["StreamNames"] == []


def test_region_comes_from_the_credential_scope(endpoint: str) -> None:
    europe = kinesis_as(endpoint, "test", "test", region="eu-west-1")
    europe.create_stream(StreamName="regional", ShardCount=1)
    summary = europe.describe_stream_summary(StreamName="regional")["StreamDescriptionSummary"]
    assert summary["StreamARN"] == "arn:aws:kinesis:eu-west-1:000000000000:stream/regional"
    assert kinesis_as(endpoint, "test", "test", region="us-east-1").list_streams()["StreamNames"] == []
    assert europe.list_streams()["StreamNames"] == ["regional"]


# --- malformed signatures never fail the server ----------------------------------------------------


def test_http_date_beyond_year_9999_is_a_client_error(strict: Server) -> None:
    headers = signed(strict.endpoint, "ListStreams", b"{}")
    del headers["X-Amz-Date"]
    headers["Date"] = "Mon, 01 Jan 99999 00:00:00 GMT"
    response = httpx.post(strict.endpoint, content=b"{}", headers=headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "IncompleteSignatureException"


def test_fuzzed_authorization_never_fails_the_server(strict: Server) -> None:
    rng = random.Random(4)
    pieces = ["AWS4-HMAC-SHA256", "Credential=", f"{ACCOUNT_KEY}/20240101/us-east-1/kinesis/aws4_request",
              "SignedHeaders=host;x-amz-date", "Signature=abc", ",", " ", "/", "=", "\u00e9", "Credential=a/b",
              "SignedHeaders=", "Signature=", "x-amz-date"]  # fmt: skip
    dates = [
        "",
        "x",
        "20240101T000000Z",
        "99999999T999999Z",
        "20241301T256161Z",
        "2024010TT000000Z",
        "\u00e9" * 16,
    ]
    paths = ["/?X-Amz-Algorithm", "/%ff?%zz=%%", "/a/../b/./c//",
             "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-Signature=s"
             "&X-Amz-SignedHeaders=host&X-Amz-Expires=99999999"]  # fmt: skip
    failures = []
    with httpx.Client(timeout=10) as client:
        for _ in range(300):
            headers: dict[str, Any] = signed(strict.endpoint, "ListStreams", b"{}")
            roll = rng.random()
            if roll < 0.4:
                headers["Authorization"] = "".join(
                    rng.choice(pieces) for _ in range(rng.randint(0, 8))
                ).strip()
            elif roll < 0.7:
                headers["X-Amz-Date"] = rng.choice(dates)
            elif roll < 0.8:
                del headers["X-Amz-Date"]
                headers["Date"] = rng.choice(
                    ["Tue, 15 Nov 1994 08:12:31 GMT", "garbage", "Mon, 01 Jan 0001 0:0:0 -2400"]
                )
            else:
                headers["X-Amz-Content-SHA256"] = rng.choice(["UNSIGNED-PAYLOAD", "STREAMING-x", "", "zz"])
            path = rng.choice(paths) if rng.random() < 0.2 else "/"
            encoded = {name: value.encode() for name, value in headers.items()}
            response = client.post(strict.endpoint + path, content=b"{}", headers=encoded)
            if response.status_code >= 500:
                failures.append((headers, path, response.status_code, response.text[:200]))
    assert not failures, failures[:3]
