"""Hostile input never answers 5xx (other than 501) and never takes the server down.

Every operation of every served service (KMS, Kinesis, SQS in both its JSON and Query dialects,
S3, STS) is built valid from its botocore model and serialized by botocore (support/fuzz.py),
sent once as is, then with each member bent on its own (support/fuzz_sweep.py), then mutated by
Hypothesis: wrong types, nulls, huge numbers and strings, bad
encodings, truncation, missing and extra members, bad headers, query strings and paths. A 500
tells an SDK to retry and hides the caller's mistake, so each one found is fixed at its cause.

The budget is fixed (derandomized, a bounded number of examples) so `make test` stays fast and
gives the same answer on every run; FUZZ_EXAMPLES raises it for a longer local hunt.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.protocol.models import query_model, service_model
from tests.e2e.support.fuzz import MUTATIONS, Wire, requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for
from tests.e2e.support.server import Server, server_fixture

fuzz_server = server_fixture(
    "fuzz", "--durability memory --limits off --aws-timing off --transition-delay 0 --log-level warning"
)
SERVICES = ("kms", "kinesis", "sqs", "s3", "sts", "iam", "logs")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))


class Resources:
    """The resources the requests name, so that they reach past "not found"; `restore` makes one
    service's again after a fuzzed Delete* (idempotent: what exists is left as it is)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clients = {
            name: boto3.client(
                name,
                endpoint_url=server.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
            )
            for name in ("sqs", "s3", "kinesis", "kms")
        }
        for name in self.clients:
            self.restore(name)
        self.key_id = self._key()

    def restore(self, service: str) -> None:
        client = self.clients.get(service)
        if client is None:
            return
        with contextlib.suppress(ClientError):
            if service == "sqs":
                client.create_queue(QueueName="fuzz")
            elif service == "s3":
                with contextlib.suppress(ClientError):
                    client.create_bucket(Bucket="fuzz")
                client.put_object(Bucket="fuzz", Key="k", Body=b"0123456789")
            elif service == "kinesis":
                self._stream(client)
            else:
                key_id = self._key()
                with contextlib.suppress(ClientError):
                    client.cancel_key_deletion(KeyId=key_id)
                client.enable_key(KeyId=key_id)

    @staticmethod
    def _stream(kinesis: Any) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a stream being deleted cannot be made again until gone
            try:
                kinesis.create_stream(StreamName="fuzz", ShardCount=1)
                return
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceInUseException":
                    return
                summary = kinesis.describe_stream_summary(StreamName="fuzz")["StreamDescriptionSummary"]
                if summary["StreamStatus"] != "DELETING":
                    return
            time.sleep(0.01)

    def _key(self) -> str:
        kms = self.clients["kms"]
        aliases = kms.list_aliases()["Aliases"]
        key_id = next((a["TargetKeyId"] for a in aliases if a["AliasName"] == "alias/fuzz"), None)
        if key_id is None:
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/fuzz", TargetKeyId=key_id)
        return str(key_id)

    def names(self) -> dict[str, str]:
        return {
            "QueueUrl": f"{self.server.endpoint}/000000000000/fuzz",
            "QueueName": "fuzz",
            "QueueOwnerAWSAccountId": "000000000000",
            "Bucket": "fuzz",
            "Key": "k",
            "Range": "bytes=0-4",
            "CopySource": "fuzz/k",
            "CopySourceRange": "bytes=0-4",
            "StreamName": "fuzz",
            "StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/fuzz",
            "ShardId": "shardId-000000000000",
            "KeyId": self.key_id,
            "WaitTimeSeconds": "0",  # no long polls
        }


# operations after which the named resources may need making again
DESTRUCTIVE = ("Delete", "Purge", "Remove", "ScheduleKeyDeletion", "Disable", "DecreaseStream")


@pytest.fixture(scope="module")
def resources(fuzz_server: Server) -> Resources:
    return Resources(fuzz_server)


@pytest.fixture(scope="module")
def wires(resources: Resources) -> list[Wire]:
    names = resources.names()
    out: list[Wire] = []
    for service in SERVICES:
        out.extend(requests_for(service_model(service), names))
    out.extend(requests_for(query_model("sqs"), names))  # SQS's Query dialect
    return out


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(15.0)) as client:
        yield client


def send(http: httpx.Client, resources: Resources, wire: Wire) -> int | None:
    """The answer's status; None when the client itself refuses to send the request."""
    method, url, headers, body = signed(wire, resources.server.endpoint)
    try:
        status = http.request(method, url, headers=headers, content=body).status_code
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
        return None  # httpx would not put this on the wire: nothing for the server to answer
    if wire.operation.startswith(DESTRUCTIVE) and status < 300:
        resources.restore(wire.service)
    return status


def failure(status: int | None, wire: Wire, mutation: str) -> str | None:
    if status is None or status < 500 or status == 501:
        return None
    return f"{wire.service}.{wire.operation} ({wire.protocol}) {mutation}: {status}"


def test_every_operation_answers_its_valid_request(
    resources: Resources, wires: list[Wire], http: httpx.Client
) -> None:
    operations = {(w.service, w.protocol, w.operation) for w in wires}
    # every operation of every model has requests (SQS in both dialects)
    for model in [*(service_model(s) for s in SERVICES), query_model("sqs")]:
        built = {op for s, p, op in operations if s == model.signing_name and p == model.protocol}
        assert built == set(model.operation_names), model.service_name
    failures = [failure(send(http, resources, wire), wire, "as built") for wire in wires]
    assert [f for f in failures if f] == []
    assert_healthy(resources.server, http)


def test_every_member_bent(resources: Resources, http: httpx.Client) -> None:
    """Each member of each operation on its own set to null, a number or string of thousands of
    digits, a wrong type, an empty or oversized value, bytes that are no UTF-8 (fuzz_sweep.py)."""
    names = resources.names()
    failures = []
    for model in [*(service_model(s) for s in SERVICES), query_model("sqs")]:
        for what, bent in bends_for(model, names):
            found = failure(send(http, resources, bent), bent, what)
            if found:
                failures.append(found)
    assert failures == []
    assert_healthy(resources.server, http)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_mutated_requests_never_answer_5xx(
    resources: Resources, wires: list[Wire], http: httpx.Client, data: st.DataObject
) -> None:
    wire = data.draw(st.sampled_from(wires), label="request")
    mutation = data.draw(st.sampled_from(sorted(MUTATIONS)), label="mutation")
    mutated = MUTATIONS[mutation](wire, data.draw)
    found = failure(send(http, resources, mutated), mutated, mutation)
    # the server's last words name the cause (a traceback) when it answers 5xx
    assert found is None, f"{found}\n--- server output (tail) ---\n{resources.server.output()[-4000:]}"


def assert_healthy(server: Server, http: httpx.Client) -> None:
    assert server.process is not None and server.process.poll() is None
    assert http.get(f"{server.endpoint}/_headwater/health").status_code == 200


def test_server_stays_healthy(fuzz_server: Server, http: httpx.Client) -> None:
    """After the mutated requests (this module's last test), the server still answers."""
    assert_healthy(fuzz_server, http)
