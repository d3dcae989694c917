"""S3 durability end to end (`--durability durable`): every acknowledged write survives kill -9
(objects, metadata, multipart results, versions, tags; and PUTs racing the kill), a client killed
mid-upload leaves no partial object or part (and an overwrite in flight leaves the old bytes), and
deleting, overwriting and aborting give the disk space back."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.e2e.support.disk import dir_size
from tests.e2e.support.s3 import (
    MIB,
    UNSIGNED,
    error_of,
    etag_of,
    keys_of,
    multipart_etag,
    payload,
    s3_client,
    sign_v4,
    wait_for,
)
from tests.e2e.support.server import Server, durable_server


def client(server: Server, **config: Any) -> Any:
    return s3_client(server.endpoint, request_checksum_calculation="when_required", **config)


def snapshot(s3: Any, bucket: str) -> dict[str, Any]:
    """Everything observable about a bucket's objects and versions."""
    versions = s3.list_object_versions(Bucket=bucket)
    state: dict[str, Any] = {
        "versions": [
            (v["Key"], v["VersionId"], v["IsLatest"], v["ETag"]) for v in versions.get("Versions", [])
        ],
        "markers": [(m["Key"], m["VersionId"], m["IsLatest"]) for m in versions.get("DeleteMarkers", [])],
        "objects": {},
    }
    for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        got = s3.get_object(Bucket=bucket, Key=entry["Key"])
        state["objects"][entry["Key"]] = (
            got["Body"].read(),
            got["ETag"],
            got["ContentType"],
            got["Metadata"],
            got["LastModified"],
            s3.get_object_tagging(Bucket=bucket, Key=entry["Key"])["TagSet"],
        )
    return state


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_acknowledged_writes_survive_a_restart(tmp_path: Path, stop: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        s3 = client(server)
        s3.create_bucket(Bucket="keep")
        for i in range(10):
            s3.put_object(
                Bucket="keep",
                Key=f"small/{i}",
                Body=payload(1000 * i + 1, seed=i),
                ContentType="application/x-test",
                Metadata={"n": str(i)},
                Tagging=f"index={i}",
            )
        parts = [payload(5 * MIB, seed=50), b"tail"]
        upload_id = s3.create_multipart_upload(Bucket="keep", Key="multi")["UploadId"]
        done = [
            {
                "PartNumber": n,
                "ETag": s3.upload_part(Bucket="keep", Key="multi", UploadId=upload_id, PartNumber=n, Body=p)[
                    "ETag"
                ],
            }
            for n, p in enumerate(parts, start=1)
        ]
        s3.complete_multipart_upload(
            Bucket="keep", Key="multi", UploadId=upload_id, MultipartUpload={"Parts": done}
        )
        pending = s3.create_multipart_upload(Bucket="keep", Key="pending")["UploadId"]
        s3.upload_part(Bucket="keep", Key="pending", UploadId=pending, PartNumber=1, Body=b"part one")
        s3.put_object(Bucket="keep", Key="deleted", Body=b"gone")
        s3.delete_object(Bucket="keep", Key="deleted")
        s3.create_bucket(Bucket="history")
        s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Enabled"})
        for body in (b"v1", b"v2"):
            s3.put_object(Bucket="history", Key="doc", Body=body)
        s3.delete_object(Bucket="history", Key="doc")
        s3.put_bucket_tagging(Bucket="keep", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
        before = {bucket: snapshot(s3, bucket) for bucket in ("keep", "history")}
        assert before["keep"]["objects"]["multi"][1] == multipart_etag(parts)

        if stop == "sigkill":
            server.kill()
        else:
            assert server.stop() == 0
        server = durable_server(data_dir).start()
        s3 = client(server)
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["history", "keep"]
        for bucket, state in before.items():
            assert snapshot(s3, bucket) == state, bucket
        assert s3.get_bucket_versioning(Bucket="history")["Status"] == "Enabled"
        assert s3.get_bucket_tagging(Bucket="keep")["TagSet"] == [{"Key": "team", "Value": "data"}]
        assert error_of(s3.get_object, Bucket="keep", Key="deleted").code == "NoSuchKey"
        # the upload in progress survives too, and can be completed
        listed = s3.list_parts(Bucket="keep", Key="pending", UploadId=pending)["Parts"]
        assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 8)]
        s3.complete_multipart_upload(
            Bucket="keep",
            Key="pending",
            UploadId=pending,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": listed[0]["ETag"]}]},
        )
        assert s3.get_object(Bucket="keep", Key="pending")["Body"].read() == b"part one"
    finally:
        server.stop()


def test_puts_racing_a_kill_9_lose_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        setup = client(server)
        setup.create_bucket(Bucket="race")
        acknowledged: dict[str, bytes] = {}
        stop = threading.Event()

        def writer(worker: int) -> None:
            s3 = client(server, connect_timeout=2, read_timeout=10)
            n = 0
            while not stop.is_set():
                key, body = f"w{worker}/{n:05d}", payload(10_000 + n, seed=worker * 1000 + n)
                try:
                    s3.put_object(Bucket="race", Key=key, Body=body)
                except (BotoCoreError, ClientError):
                    return
                acknowledged[key] = body
                n += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(acknowledged) >= 60, timeout=30, what="60 acknowledged PUTs")
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(30)
        saved = dict(acknowledged)
        server = durable_server(data_dir).start()
        s3 = client(server)
        stored = set(keys_of(s3.list_objects_v2(Bucket="race", MaxKeys=1000)))
        assert set(saved) <= stored
        # at most one write per writer was in flight at the kill
        assert len(stored - set(saved)) <= len(threads)
        for key, body in saved.items():
            got = s3.get_object(Bucket="race", Key=key)
            assert got["Body"].read() == body, key
            assert got["ETag"] == etag_of(body)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("s3durable") / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        yield server
    finally:
        server.stop()


# A client that sends the headers and part of the body of a PUT, says so, then waits to be killed.
PARTIAL_CLIENT = """
import json, socket, sys
spec = json.loads(sys.argv[1])
sock = socket.create_connection((spec["host"], spec["port"]))
head = f"PUT {spec['path']} HTTP/1.1\\r\\n" + "".join(f"{k}: {v}\\r\\n" for k, v in spec["headers"].items()) + "\\r\\n"
sock.sendall(head.encode())
chunk = bytes(range(256)) * 4096
sent = 0
while sent < spec["send"]:
    sock.sendall(chunk)
    sent += len(chunk)
print("sent", flush=True)
sys.stdin.read()
"""


def kill_mid_upload(
    server: Server, path: str, total: int, send: int, query: dict[str, str] | None = None
) -> None:
    """Starts a PUT of `total` bytes to `path` from another process, kills -9 that process after
    `send` bytes went out."""
    headers, _, _ = sign_v4(
        "PUT", server.endpoint, path, {"content-length": str(total)}, UNSIGNED, query=query
    )
    target = path + ("?" + urlencode(query) if query else "")
    spec = {"host": "127.0.0.1", "port": server.port, "path": target, "headers": headers, "send": send}
    child = subprocess.Popen(
        [sys.executable, "-c", PARTIAL_CLIENT, json.dumps(spec)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "sent"
    finally:
        child.kill()
        child.wait(10)


def test_client_killed_mid_upload_leaves_no_partial_object(durable: Server) -> None:
    s3 = client(durable)
    s3.create_bucket(Bucket="partial")
    old = payload(100_000, seed=60)
    s3.put_object(Bucket="partial", Key="victim", Body=old)
    baseline = dir_size(durable.data_dir)

    kill_mid_upload(durable, "/partial/new-object", total=8 * MIB, send=2 * MIB)
    kill_mid_upload(durable, "/partial/victim", total=8 * MIB, send=2 * MIB)
    upload_id = s3.create_multipart_upload(Bucket="partial", Key="mpu")["UploadId"]
    first = s3.upload_part(
        Bucket="partial", Key="mpu", UploadId=upload_id, PartNumber=1, Body=payload(5 * MIB)
    )
    kill_mid_upload(
        durable, "/partial/mpu", total=6 * MIB, send=MIB, query={"partNumber": "2", "uploadId": upload_id}
    )

    # once the server has noticed the dead connections, their bytes are gone from disk too
    wait_for(
        lambda: dir_size(durable.data_dir) < baseline + 5 * MIB + MIB // 2,
        timeout=15,
        what="partial uploads cleaned up",
    )
    assert keys_of(s3.list_objects_v2(Bucket="partial")) == ["victim"]
    assert error_of(s3.head_object, Bucket="partial", Key="new-object").status == 404
    got = s3.get_object(Bucket="partial", Key="victim")
    assert got["Body"].read() == old and got["ETag"] == etag_of(old)
    parts = s3.list_parts(Bucket="partial", Key="mpu", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, first["ETag"])]
    s3.abort_multipart_upload(Bucket="partial", Key="mpu", UploadId=upload_id)


def test_deleting_overwriting_and_aborting_give_space_back(durable: Server) -> None:
    s3 = client(durable)
    s3.create_bucket(Bucket="space")
    baseline = dir_size(durable.data_dir)

    for i in range(6):
        s3.put_object(Bucket="space", Key=f"obj/{i}", Body=payload(MIB, seed=70 + i))
    # five overwrites of one key keep one copy
    for i in range(5):
        s3.put_object(Bucket="space", Key="rewritten", Body=payload(MIB, seed=80 + i))
    upload_id = s3.create_multipart_upload(Bucket="space", Key="big")["UploadId"]
    for n in (1, 2):
        s3.upload_part(
            Bucket="space", Key="big", UploadId=upload_id, PartNumber=n, Body=payload(5 * MIB, seed=n)
        )
    written = 6 * MIB + MIB + 10 * MIB
    assert dir_size(durable.data_dir) - baseline >= written
    wait_for(
        lambda: dir_size(durable.data_dir) - baseline < written + 3 * MIB,
        timeout=15,
        what="overwritten bodies reclaimed",
    )

    deleted = s3.delete_objects(
        Bucket="space", Delete={"Objects": [{"Key": f"obj/{i}"} for i in range(6)] + [{"Key": "rewritten"}]}
    )
    assert len(deleted["Deleted"]) == 7
    s3.abort_multipart_upload(Bucket="space", Key="big", UploadId=upload_id)
    wait_for(
        lambda: dir_size(durable.data_dir) < baseline + MIB,
        timeout=15,
        what="space given back after deletes and the abort",
    )
    assert s3.list_objects_v2(Bucket="space")["KeyCount"] == 0
