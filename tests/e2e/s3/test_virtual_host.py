"""Virtual-host style addressing end to end: the bucket in the Host header (`bucket.localhost:port`,
`bucket.s3.localhost:port`, bucket names with dots included), from boto3 (addressing_style
"virtual") and from raw requests, next to path style on `localhost:port`.

`bucket.localhost` does not resolve here (glibc without nss-myhostname resolves only `localhost`
itself from /etc/hosts), so the boto3 client keeps its virtual-host URL, and so its signed Host
header, and only the connection is pointed at 127.0.0.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.support.s3 import etag_of, keys_of, raw, s3_client, xml_find_all

BUCKET = "vhost"


def virtual_client(port: int) -> tuple[Any, list[str]]:
    """A boto3 client with addressing_style=virtual at http://localhost:<port>; returns it and the
    Host headers it sent."""
    client = s3_client(f"http://localhost:{port}", s3={"addressing_style": "virtual"})
    hosts: list[str] = []

    def connect_locally(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        hosts.append(parts.netloc)
        request.headers["Host"] = parts.netloc  # the signed host stays on the wire
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    client.meta.events.register_first("before-send.s3", connect_locally)
    return client, hosts


def test_boto3_virtual_addressing(s3: Any, endpoint: str) -> None:
    port = urlsplit(endpoint).port
    assert port is not None
    client, hosts = virtual_client(port)
    client.create_bucket(Bucket=BUCKET)
    assert hosts[-1] == f"{BUCKET}.localhost:{port}"
    put = client.put_object(Bucket=BUCKET, Key="dir/a b.txt", Body=b"virtual", ContentType="text/plain")
    assert hosts[-1] == f"{BUCKET}.localhost:{port}"
    assert put["ETag"] == etag_of(b"virtual")
    assert client.get_object(Bucket=BUCKET, Key="dir/a b.txt")["Body"].read() == b"virtual"
    assert keys_of(client.list_objects_v2(Bucket=BUCKET, Prefix="dir/")) == ["dir/a b.txt"]
    client.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": "dir/a b.txt"})
    # the path-style client sees the same bucket and objects
    assert keys_of(s3.list_objects_v2(Bucket=BUCKET)) == ["copy", "dir/a b.txt"]
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == [BUCKET]
    assert hosts[-1] == f"localhost:{port}"  # ListBuckets names no bucket
    client.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "copy"}, {"Key": "dir/a b.txt"}]})
    client.delete_bucket(Bucket=BUCKET)
    assert s3.list_buckets()["Buckets"] == []


@pytest.mark.parametrize("suffix", ["localhost", "s3.localhost"])
def test_host_header_addressing(s3: Any, endpoint: str, suffix: str) -> None:
    port = urlsplit(endpoint).port
    s3.create_bucket(Bucket="dotted.bucket")
    host = f"dotted.bucket.{suffix}:{port}"
    put = raw(endpoint, "PUT", "/folder/%C3%A9t%C3%A9.txt", headers={"Host": host}, body=b"summer")
    assert put.status_code == 200, put.text
    assert s3.get_object(Bucket="dotted.bucket", Key="folder/été.txt")["Body"].read() == b"summer"
    got = raw(endpoint, "GET", "/folder/%C3%A9t%C3%A9.txt", headers={"Host": host})
    assert got.status_code == 200 and got.content == b"summer"
    listed = raw(endpoint, "GET", "/", query={"list-type": "2"}, headers={"Host": host})
    assert listed.status_code == 200
    assert xml_find_all(listed.content, "Name") == ["dotted.bucket"]
    assert xml_find_all(listed.content, "Contents/Key") == ["folder/été.txt"]
    # a bucket host that does not exist
    missing = raw(endpoint, "GET", "/key", headers={"Host": f"no-such-bucket.{suffix}:{port}"})
    assert missing.status_code == 404
    assert b"<Code>NoSuchBucket</Code>" in missing.content
    # path style with the bare service hostname
    path_style = raw(
        endpoint, "GET", "/dotted.bucket/folder/%C3%A9t%C3%A9.txt", headers={"Host": f"localhost:{port}"}
    )
    assert path_style.status_code == 200 and path_style.content == b"summer"
