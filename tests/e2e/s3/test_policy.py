"""Bucket policies enforced with `--auth strict`: another account gets only what a policy grants,
per key for DeleteObjects and with read access to the source for a copy."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.support.s3 import error_of, s3_client
from tests.e2e.support.server import Server, server_fixture

OWNER, OTHER = "111111111111", "222222222222"
STRICT = (
    f"--durability fast --limits off --test-mode on --auth strict --credentials {OWNER}:test,{OTHER}:test"
)


strict_server = server_fixture("s3policy", STRICT)


@pytest.fixture
def clients(strict_server: Server) -> tuple[Any, Any]:
    strict_server.reset()
    owner = s3_client(strict_server.endpoint, access_key=OWNER)
    other = s3_client(strict_server.endpoint, access_key=OTHER)
    return owner, other


def assert_denied(call: Any) -> None:
    error = error_of(call)
    assert (error.code, error.status) == ("AccessDenied", 403)


def grant(owner: Any, bucket: str, actions: list[str], resource: str) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": actions,
        "Resource": resource,
    }
    owner.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def test_another_account_gets_what_the_policy_grants(clients: tuple[Any, Any]) -> None:
    owner, other = clients
    owner.create_bucket(Bucket="guarded")
    owner.put_object(Bucket="guarded", Key="public/a", Body=b"a")
    owner.put_object(Bucket="guarded", Key="private/b", Body=b"b")
    assert_denied(lambda: other.get_object(Bucket="guarded", Key="public/a"))

    grant(owner, "guarded", ["s3:GetObject", "s3:DeleteObject"], "arn:aws:s3:::guarded/public/*")
    assert other.get_object(Bucket="guarded", Key="public/a")["Body"].read() == b"a"
    assert_denied(lambda: other.get_object(Bucket="guarded", Key="private/b"))

    # DeleteObjects: each key on its own, refusals as per-key errors
    answer = other.delete_objects(
        Bucket="guarded", Delete={"Objects": [{"Key": "public/a"}, {"Key": "private/b"}]}
    )
    assert [d["Key"] for d in answer["Deleted"]] == ["public/a"]
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("private/b", "AccessDenied")]
    assert [o["Key"] for o in owner.list_objects_v2(Bucket="guarded")["Contents"]] == ["private/b"]


def test_copying_needs_read_access_to_the_source(clients: tuple[Any, Any]) -> None:
    owner, other = clients
    owner.create_bucket(Bucket="source-bucket")
    owner.put_object(Bucket="source-bucket", Key="secret", Body=b"s")
    other.create_bucket(Bucket="their-bucket")
    copy = {"Bucket": "their-bucket", "Key": "stolen", "CopySource": "source-bucket/secret"}
    assert_denied(lambda: other.copy_object(**copy))
    grant(owner, "source-bucket", ["s3:GetObject"], "arn:aws:s3:::source-bucket/*")
    other.copy_object(**copy)
    assert other.get_object(Bucket="their-bucket", Key="stolen")["Body"].read() == b"s"


def test_unsigned_requests_need_a_public_policy(clients: tuple[Any, Any], strict_server: Server) -> None:
    owner, _ = clients
    owner.create_bucket(Bucket="website")
    owner.put_object(Bucket="website", Key="index.html", Body=b"<h1>hi</h1>")
    url = f"{strict_server.endpoint}/website/index.html"
    assert httpx.get(url).status_code == 403
    assert httpx.put(f"{strict_server.endpoint}/anonymous-bucket").status_code == 403
    # public read: Block Public Access off (new buckets have it on, as on AWS), then a policy for "*"
    owner.delete_public_access_block(Bucket="website")
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::website/*",
    }
    owner.put_bucket_policy(
        Bucket="website", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    fetched = httpx.get(url)
    assert (fetched.status_code, fetched.content) == (200, b"<h1>hi</h1>")
    assert httpx.delete(url).status_code == 403  # reading was granted, not deleting
