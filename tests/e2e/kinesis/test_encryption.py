"""Server-side encryption end to end: StartStreamEncryption seals records at rest with AES-GCM.

The proof is on disk: recognisable plaintexts are put, the server is stopped (so everything is
flushed), and the data directory's files are searched for them byte by byte.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.e2e.support.clients import client_for
from tests.e2e.support.disk import at_rest, marker, on_disk

ACCOUNT = "000000000000"
SHARD0 = "shardId-000000000000"
KEY_ID = re.compile(rb'"key_id":"([0-9a-f-]{36})"')


def read_all(kinesis, stream: str = "s") -> list[dict]:  # noqa: ANN001
    position = kinesis.get_shard_iterator(StreamName=stream, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    return kinesis.get_records(ShardIterator=position["ShardIterator"])["Records"]


def summary(kinesis, stream: str = "s") -> dict:  # noqa: ANN001
    return kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]


def test_records_are_encrypted_at_rest_from_start_until_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    before, sealed_one, sealed_many, after = (marker(x) for x in ("before", "one", "many", "after"))
    with at_rest(data_dir) as server:
        kinesis = client_for(server.endpoint)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        put = kinesis.put_record(StreamName="s", Data=before, PartitionKey="k")
        assert "EncryptionType" not in put
        kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
        described = summary(kinesis)
        assert (described["EncryptionType"], described["KeyId"]) == ("KMS", "alias/aws/kinesis")
        assert described["StreamStatus"] == "ACTIVE"

        put = kinesis.put_record(StreamName="s", Data=sealed_one, PartitionKey="k")
        assert put["EncryptionType"] == "KMS"
        batch = kinesis.put_records(StreamName="s", Records=[{"Data": sealed_many, "PartitionKey": "k"}])
        assert batch["EncryptionType"] == "KMS" and batch["FailedRecordCount"] == 0

        kinesis.stop_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
        assert summary(kinesis)["EncryptionType"] == "NONE"
        assert "EncryptionType" not in kinesis.put_record(StreamName="s", Data=after, PartitionKey="k")

        records = read_all(kinesis)
        assert [r["Data"] for r in records] == [before, sealed_one, sealed_many, after]
        assert [r.get("EncryptionType") for r in records] == [None, "KMS", "KMS", None]

    stored = on_disk(data_dir)
    assert before in stored and after in stored  # the search does find plaintext records...
    assert sealed_one not in stored and sealed_many not in stored  # ...and sealed ones are not plaintext

    # The key material was persisted: sealed records still open after a restart.
    with at_rest(data_dir) as server:
        kinesis = client_for(server.endpoint)
        records = read_all(kinesis)
        assert [r["Data"] for r in records] == [before, sealed_one, sealed_many, after]
        assert [r.get("EncryptionType") for r in records] == [None, "KMS", "KMS", None]


def test_every_key_reference_form_and_key_changes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with at_rest(data_dir) as server:
        kinesis = client_for(server.endpoint)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
        kinesis.put_record(StreamName="s", Data=b"under the alias", PartitionKey="k")
    # Nothing in the Kinesis API names the AWS-managed key's id: the persisted key store does.
    (key_id,) = set(KEY_ID.findall(on_disk(data_dir)))
    key_id = key_id.decode()
    references = [
        key_id,
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesis",
    ]
    with at_rest(data_dir) as server:
        kinesis = client_for(server.endpoint)
        for index, reference in enumerate(references):
            kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId=reference)
            assert summary(kinesis)["KeyId"] == reference
            put = kinesis.put_record(StreamName="s", Data=f"record {index}".encode(), PartitionKey="k")
            assert put["EncryptionType"] == "KMS"
        records = read_all(kinesis)
        assert [r["Data"] for r in records] == [b"under the alias", b"record 0", b"record 1", b"record 2"]
        assert {r["EncryptionType"] for r in records} == {"KMS"}


@pytest.mark.parametrize(
    "key",
    [
        "alias/does-not-exist",
        "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f",
        "arn:aws:kms:us-east-1:111111111111:alias/aws/kinesis",  # another account's managed key
    ],
)
def test_unknown_keys_are_refused(kinesis, key: str) -> None:  # noqa: ANN001
    kinesis.create_stream(StreamName="s", ShardCount=1)
    with pytest.raises(ClientError) as info:
        kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId=key)
    assert info.value.response["Error"]["Code"] == "KMSNotFoundException"
    assert summary(kinesis)["EncryptionType"] == "NONE"
    assert "EncryptionType" not in kinesis.put_record(StreamName="s", Data=b"plain", PartitionKey="k")
