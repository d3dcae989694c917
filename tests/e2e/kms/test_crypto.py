"""KMS cryptography through boto3 against a live server: Encrypt/Decrypt (no KeyId needed),
encryption contexts, ReEncrypt, data keys, GenerateRandom, their errors, persistence across a
restart, and the AWS CLI's create-key / encrypt / decrypt."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.e2e.kms.test_keys import fails, kms  # noqa: F401  # the kms fixture
from tests.e2e.support.cli import Cli
from tests.e2e.support.clients import client_for
from tests.e2e.support.disk import at_rest as running

CONTEXT = {"tenant": "acme", "purpose": "test"}


def test_encrypt_and_decrypt_without_a_key_id(kms) -> None:  # noqa: ANN001, F811
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    for ref in (key["KeyId"], key["Arn"], "alias/app", "arn:aws:kms:us-east-1:000000000000:alias/app"):
        sealed = kms.encrypt(KeyId=ref, Plaintext=b"secret \x00\xff", EncryptionContext=CONTEXT)
        assert (sealed["KeyId"], sealed["EncryptionAlgorithm"]) == (key["Arn"], "SYMMETRIC_DEFAULT")
        assert b"secret" not in sealed["CiphertextBlob"]
        opened = kms.decrypt(
            CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=dict(reversed(CONTEXT.items()))
        )
        assert (opened["Plaintext"], opened["KeyId"]) == (b"secret \x00\xff", key["Arn"])
    assert kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=CONTEXT, KeyId="alias/app")
    other = kms.create_key()["KeyMetadata"]
    message = fails(
        "IncorrectKeyException",
        kms.decrypt,
        CiphertextBlob=sealed["CiphertextBlob"],
        EncryptionContext=CONTEXT,
        KeyId=other["KeyId"],
    )
    assert message == "The key ID in the request does not identify a CMK that can perform this operation."


def test_encryption_context_must_match(kms) -> None:  # noqa: ANN001, F811
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=CONTEXT)["CiphertextBlob"]
    for context in ({}, {"tenant": "acme"}, {**CONTEXT, "extra": "1"}, {**CONTEXT, "tenant": "other"}):
        fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=context)
    plain = kms.encrypt(KeyId=key_id, Plaintext=b"y")["CiphertextBlob"]
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=plain, EncryptionContext=CONTEXT)
    assert kms.decrypt(CiphertextBlob=plain)["Plaintext"] == b"y"
    forged = bytearray(blob)
    forged[-1] ^= 1
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(forged), EncryptionContext=CONTEXT)
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"not a kms blob at all, clearly")


def test_input_limits_and_algorithms(kms) -> None:  # noqa: ANN001, F811
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4096)["CiphertextBlob"]
    http = client_for(kms.meta.endpoint_url, "kms", parameter_validation=False)
    message = fails("ValidationException", http.encrypt, KeyId=key_id, Plaintext=b"x" * 4097)
    assert message.startswith("1 validation error detected: Value ")
    assert message.endswith(
        "at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    )
    fails("ValidationException", http.generate_random, NumberOfBytes=1025)
    fails("ValidationException", http.generate_data_key, KeyId=key_id, NumberOfBytes=0)
    fails(
        "InvalidKeyUsageException",
        kms.encrypt,
        KeyId=key_id,
        Plaintext=b"x",
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    fails("DryRunOperationException", kms.encrypt, KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert fails("NotFoundException", kms.encrypt, KeyId="alias/none", Plaintext=b"x") == (
        "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found."
    )


def test_re_encrypt_moves_a_blob_to_another_key_and_context(kms) -> None:  # noqa: ANN001, F811
    source, target = (kms.create_key()["KeyMetadata"] for _ in range(2))
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"payload", EncryptionContext=CONTEXT)[
        "CiphertextBlob"
    ]
    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=CONTEXT,
        DestinationKeyId=target["KeyId"],
        DestinationEncryptionContext={"new": "ctx"},
    )
    assert (moved["SourceKeyId"], moved["KeyId"]) == (source["Arn"], target["Arn"])
    opened = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"new": "ctx"})
    assert (opened["Plaintext"], opened["KeyId"]) == (b"payload", target["Arn"])
    fails("InvalidCiphertextException", kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=target["KeyId"])
    kms.disable_key(KeyId=target["KeyId"])
    fails(
        "DisabledException",
        kms.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext=CONTEXT,
        DestinationKeyId=target["KeyId"],
    )


def test_data_keys_and_random_bytes(kms) -> None:  # noqa: ANN001, F811
    key = kms.create_key()["KeyMetadata"]
    for spec, size in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 7}, 7)):
        data_key = kms.generate_data_key(KeyId=key["KeyId"], EncryptionContext=CONTEXT, **spec)
        assert len(data_key["Plaintext"]) == size and data_key["KeyId"] == key["Arn"]
        opened = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=CONTEXT)
        assert opened["Plaintext"] == data_key["Plaintext"]
    bare = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in bare
    assert len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    both = "Please specify either number of bytes or key spec."
    assert fails("ValidationException", kms.generate_data_key, KeyId=key["KeyId"]) == both
    assert (
        fails(
            "ValidationException",
            kms.generate_data_key,
            KeyId=key["KeyId"],
            KeySpec="AES_256",
            NumberOfBytes=3,
        )
        == both
    )
    first, second = (kms.generate_random(NumberOfBytes=1024)["Plaintext"] for _ in range(2))
    assert len(first) == 1024 and first != second
    kms.disable_key(KeyId=key["KeyId"])
    fails("DisabledException", kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256")
    blob = bare["CiphertextBlob"]
    assert fails("DisabledException", kms.decrypt, CiphertextBlob=blob) == f"{key['Arn']} is disabled."
    kms.enable_key(KeyId=key["KeyId"])
    assert len(kms.decrypt(CiphertextBlob=blob)["Plaintext"]) == 32


def test_keys_and_material_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running(data_dir) as server:
        kms = client_for(server.endpoint, "kms")
        key = kms.create_key(Description="kept", Tags=[{"TagKey": "t", "TagValue": "v"}])["KeyMetadata"]
        kms.create_alias(AliasName="alias/kept", TargetKeyId=key["KeyId"])
        kms.enable_key_rotation(KeyId=key["KeyId"])
        blob = kms.encrypt(KeyId="alias/kept", Plaintext=b"durable", EncryptionContext=CONTEXT)[
            "CiphertextBlob"
        ]
        disabled = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.disable_key(KeyId=disabled)
        doomed = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    with running(data_dir) as server:
        kms = client_for(server.endpoint, "kms")
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)["Plaintext"] == b"durable"
        meta = kms.describe_key(KeyId="alias/kept")["KeyMetadata"]
        assert (meta["KeyId"], meta["Description"], meta["CreationDate"]) == (
            key["KeyId"],
            "kept",
            key["CreationDate"],
        )
        assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "t", "TagValue": "v"}]
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
        assert kms.describe_key(KeyId=disabled)["KeyMetadata"]["KeyState"] == "Disabled"
        assert kms.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert len(kms.list_keys()["Keys"]) == 3


@pytest.fixture
def aws(endpoint: str, tmp_path: Path) -> Cli:
    return Cli(endpoint, tmp_path, "kms", timeout=60)


def test_cli_create_key_encrypt_decrypt(aws: Cli, tmp_path: Path) -> None:
    key = aws("create-key", "--description", "from the cli")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["Description"] == "from the cli"
    aws.ok("create-alias", "--alias-name", "alias/cli", "--target-key-id", key["KeyId"])
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"hello from the cli")
    sealed = aws(
        "encrypt",
        "--key-id",
        "alias/cli",
        "--plaintext",
        f"fileb://{secret}",
        "--encryption-context",
        "purpose=cli",
    )
    assert sealed["KeyId"] == key["Arn"]
    blob = tmp_path / "blob.bin"
    blob.write_bytes(base64.b64decode(sealed["CiphertextBlob"]))
    opened = aws("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "purpose=cli")
    assert base64.b64decode(opened["Plaintext"]) == b"hello from the cli" and opened["KeyId"] == key["Arn"]
    wrong = aws.run("decrypt", "--ciphertext-blob", f"fileb://{blob}")
    assert wrong.returncode != 0 and "InvalidCiphertextException" in wrong.stderr
