"""The AWS CLI (v1, from the `awscli` test dependency) driving S3 on a live server: the high-level
`aws s3` commands (mb, cp with a multipart upload, ls, sync both ways with --delete, presign, rm, rb)
and `aws s3api` with JSON output and service errors, as a shell script would use them."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support.cli import Cli
from tests.e2e.support.s3 import MIB, payload


@pytest.fixture
def aws(cli: Callable[..., Cli]) -> Cli:
    return cli()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_high_level_s3_commands(aws: Cli, s3: Any, tmp_path: Path) -> None:
    assert aws.ok("s3", "mb", "s3://cli-bucket").strip() == "make_bucket: cli-bucket"
    local = tmp_path / "local"
    (local / "nested" / "deeper").mkdir(parents=True)
    (local / "a.txt").write_text("alpha\n")
    (local / "nested" / "b.txt").write_text("beta\n")
    (local / "nested" / "deeper" / "c with space.txt").write_text("gamma\n")
    # S3's LastModified has whole seconds: a file written in the second of its upload would look newer
    # than its copy to `aws s3 sync` (as against AWS), so the files date from a minute ago
    for path in local.rglob("*.txt"):
        os.utime(path, (time.time() - 60, time.time() - 60))
    big = tmp_path / "big.bin"
    big.write_bytes(payload(9 * MIB, seed=31))  # above the CLI's 8 MiB multipart threshold

    out = aws.ok("s3", "cp", str(big), "s3://cli-bucket/blobs/big.bin")
    assert "upload:" in out
    head = s3.head_object(Bucket="cli-bucket", Key="blobs/big.bin")
    assert head["ContentLength"] == 9 * MIB
    assert head["ETag"].endswith('-2"')  # 8 MiB + 1 MiB parts

    out = aws.ok("s3", "sync", str(local), "s3://cli-bucket/synced/")
    assert out.count("upload:") == 3
    assert aws.ok("s3", "sync", str(local), "s3://cli-bucket/synced/").strip() == ""  # nothing changed
    (local / "a.txt").write_text("alpha, longer now\n")
    (local / "nested" / "b.txt").unlink()
    out = aws.ok("s3", "sync", str(local), "s3://cli-bucket/synced/", "--delete")
    assert "upload:" in out and "synced/a.txt" in out
    assert "delete: s3://cli-bucket/synced/nested/b.txt" in out

    listing = aws.ok("s3", "ls", "s3://cli-bucket/")
    assert {line.split()[-1] for line in listing.splitlines()} == {"blobs/", "synced/"}
    assert all(line.split()[0] == "PRE" for line in listing.splitlines())
    recursive = aws.ok("s3", "ls", "s3://cli-bucket/", "--recursive")
    sizes = {line.split(None, 3)[3]: int(line.split(None, 3)[2]) for line in recursive.splitlines()}
    assert sizes == {
        "blobs/big.bin": 9 * MIB,
        "synced/a.txt": len("alpha, longer now\n"),
        "synced/nested/deeper/c with space.txt": len("gamma\n"),
    }

    back = tmp_path / "back"
    aws.ok("s3", "sync", "s3://cli-bucket/synced/", str(back))
    assert (back / "a.txt").read_text() == "alpha, longer now\n"
    assert (back / "nested" / "deeper" / "c with space.txt").read_text() == "gamma\n"
    copy = tmp_path / "copy.bin"
    aws.ok("s3", "cp", "s3://cli-bucket/blobs/big.bin", str(copy))
    assert sha(copy) == sha(big)

    url = aws.ok("s3", "presign", "s3://cli-bucket/synced/a.txt", "--expires-in", "300").strip()
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.text == "alpha, longer now\n"

    assert aws.run("s3", "rb", "s3://cli-bucket").returncode != 0  # not empty
    out = aws.ok("s3", "rm", "s3://cli-bucket/", "--recursive")
    assert out.count("delete:") == 3
    assert aws.ok("s3", "rb", "s3://cli-bucket").strip() == "remove_bucket: cli-bucket"
    assert s3.list_buckets()["Buckets"] == []


def test_s3api_json_and_errors(aws: Cli, tmp_path: Path) -> None:
    aws.json("s3api", "create-bucket", "--bucket", "api-bucket")
    body = tmp_path / "body.json"
    body.write_text('{"hello": "cli"}')
    put = aws.json(
        "s3api",
        "put-object",
        "--bucket",
        "api-bucket",
        "--key",
        "docs/hello.json",
        "--body",
        str(body),
        "--content-type",
        "application/json",
        "--metadata",
        "owner=cli,stage=test",
    )
    assert put["ETag"] == f'"{hashlib.md5(body.read_bytes()).hexdigest()}"'
    head = aws.json("s3api", "head-object", "--bucket", "api-bucket", "--key", "docs/hello.json")
    assert head["ContentLength"] == body.stat().st_size
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"owner": "cli", "stage": "test"}
    out = tmp_path / "out.json"
    got = aws.json("s3api", "get-object", "--bucket", "api-bucket", "--key", "docs/hello.json", str(out))
    assert got["ETag"] == put["ETag"]
    assert out.read_text() == '{"hello": "cli"}'
    keys = aws.json("s3api", "list-objects-v2", "--bucket", "api-bucket", "--query", "Contents[].Key")
    assert keys == ["docs/hello.json"]
    tags = aws.json("s3api", "get-object-tagging", "--bucket", "api-bucket", "--key", "docs/hello.json")
    assert tags["TagSet"] == []

    # service errors: CLI v1 exits 255 and names S3's code
    missing = aws.run("s3api", "get-object", "--bucket", "api-bucket", "--key", "nope", str(tmp_path / "x"))
    assert missing.returncode == 255
    assert "(NoSuchKey)" in missing.stderr and "The specified key does not exist." in missing.stderr
    head_missing = aws.run("s3api", "head-object", "--bucket", "api-bucket", "--key", "nope")
    assert head_missing.returncode == 255
    assert "(404)" in head_missing.stderr and "Not Found" in head_missing.stderr
    not_empty = aws.run("s3api", "delete-bucket", "--bucket", "api-bucket")
    assert not_empty.returncode == 255 and "(BucketNotEmpty)" in not_empty.stderr
    no_bucket = aws.run("s3api", "list-objects-v2", "--bucket", "no-such-bucket")
    assert no_bucket.returncode == 255 and "(NoSuchBucket)" in no_bucket.stderr
