import re
from dataclasses import replace

import pytest

from headwater.runtime.clock import TestClock
from headwater.services.kms.keystore import (
    InvalidCiphertextError,
    Key,
    KeyDisabledError,
    KeyNotFoundError,
    KeyStore,
    KeyStoreError,
)

ACCOUNT, OTHER = "123456789012", "210987654321"
REGION = "us-east-1"


# -- keys and resolution ---------------------------------------------------------------------------
def test_create_key_has_uuid_and_arn():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION, description="orders")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", key.key_id)
    assert key.arn == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key.key_id}"
    assert len(key.material) == 32 and key.enabled and not key.aws_managed
    assert "material" not in repr(key)
    assert store.keys(ACCOUNT, REGION) == [key]


def test_arn_partition_follows_the_region():
    store = KeyStore()
    assert store.create_key(ACCOUNT, "cn-north-1").arn.startswith("arn:aws-cn:kms:cn-north-1:")
    assert store.create_key(ACCOUNT, "us-gov-west-1").arn.startswith("arn:aws-us-gov:kms:")


def test_resolve_every_reference_form():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    store.create_alias(ACCOUNT, REGION, "alias/orders", key.key_id)
    for ref in (
        key.key_id,
        key.arn,
        "alias/orders",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders",
    ):
        assert store.resolve(ACCOUNT, REGION, ref) == key
        assert store.find(ACCOUNT, REGION, ref) == key


@pytest.mark.parametrize(
    "ref",
    [
        "00000000-0000-4000-8000-000000000000",
        "alias/nope",
        "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000",
        "arn:aws:kms:us-east-1:123456789012:alias/nope",
        "arn:aws:kms:us-east-1:123456789012:other/x",
        "arn:aws:sqs:us-east-1:123456789012:queue",
        "alias/aws/dynamodb",  # only the managed keys of our services are created implicitly
        "",
    ],
)
def test_unknown_references_raise_not_found(ref):
    store = KeyStore()
    with pytest.raises(KeyNotFoundError) as info:
        store.resolve(ACCOUNT, REGION, ref)
    assert isinstance(info.value, KeyStoreError)
    assert store.keys(ACCOUNT, REGION) == []


def test_a_key_arn_never_names_an_alias():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    store.create_alias(ACCOUNT, REGION, "alias/orders", key.key_id)
    with pytest.raises(KeyNotFoundError):
        store.find(ACCOUNT, REGION, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/alias/orders")


def test_not_found_messages_are_kms_style():
    store = KeyStore()
    with pytest.raises(
        KeyNotFoundError, match=r"^Alias arn:aws:kms:us-east-1:123456789012:alias/x is not found\.$"
    ):
        store.find(ACCOUNT, REGION, "alias/x")
    with pytest.raises(
        KeyNotFoundError, match=r"^Key 'arn:aws:kms:us-east-1:123456789012:key/k1' does not exist$"
    ):
        store.find(ACCOUNT, REGION, "k1")


def test_keys_are_scoped_to_account_and_region_but_arns_reach_across():
    store = KeyStore()
    key = store.create_key(OTHER, REGION)
    with pytest.raises(KeyNotFoundError):
        store.find(ACCOUNT, REGION, key.key_id)  # a bare id means "in my account and region"
    with pytest.raises(KeyNotFoundError):
        store.find(OTHER, "eu-west-1", key.key_id)
    assert store.find(ACCOUNT, REGION, key.arn) == key  # a full ARN names the owner
    wrong_region = key.arn.replace(REGION, "eu-west-1")
    with pytest.raises(KeyNotFoundError):
        store.find(ACCOUNT, REGION, wrong_region)


def test_kinesis_managed_key_is_created_once_on_first_use():
    store = KeyStore()
    with pytest.raises(KeyNotFoundError):
        store.find(ACCOUNT, REGION, "alias/aws/kinesis")  # find never creates
    key = store.resolve(ACCOUNT, REGION, "alias/aws/kinesis")
    assert key.aws_managed
    assert store.resolve(ACCOUNT, REGION, "alias/aws/kinesis") == key
    assert store.resolve(ACCOUNT, REGION, f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/kinesis") == key
    assert store.aliases(ACCOUNT, REGION) == {"alias/aws/kinesis": key.key_id}
    # Each account and region has its own.
    other = store.resolve(OTHER, REGION, "alias/aws/kinesis")
    assert other.key_id != key.key_id and other.account == OTHER


def test_kinesis_managed_key_of_another_account_is_not_created_through_an_arn():
    store = KeyStore()
    with pytest.raises(KeyNotFoundError):
        store.resolve(ACCOUNT, REGION, f"arn:aws:kms:{REGION}:{OTHER}:alias/aws/kinesis")
    assert store.keys(OTHER, REGION) == []


def test_kinesis_managed_alias_via_own_alias_arn_is_created():
    store = KeyStore()
    key = store.resolve(ACCOUNT, REGION, f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/kinesis")
    assert store.find(ACCOUNT, REGION, "alias/aws/kinesis") == key


@pytest.mark.parametrize(
    "name", ["orders", "alias/", "alias/aws/mine", "alias/has space", "alias/" + "x" * 251]
)
def test_invalid_alias_names_are_refused(name):
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    with pytest.raises(KeyStoreError):
        store.create_alias(ACCOUNT, REGION, name, key.key_id)


def test_alias_must_be_unique_and_point_at_a_local_key():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    store.create_alias(ACCOUNT, REGION, "alias/a", key.key_id)
    with pytest.raises(KeyStoreError):
        store.create_alias(ACCOUNT, REGION, "alias/a", key.key_id)
    with pytest.raises(KeyNotFoundError):
        store.create_alias(OTHER, REGION, "alias/a", key.key_id)


# -- encryption ------------------------------------------------------------------------------------
def test_encrypt_decrypt_round_trip():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    for plaintext in (b"", b"x", bytes(range(256)) * 100):
        blob = store.encrypt(key, plaintext, b"stream-arn")
        assert store.decrypt(blob, b"stream-arn") == plaintext
        assert store.key_of(blob) == key
    assert len(store.encrypt(key, b"abc")) == 3 + 45  # version, key id, nonce and tag


def test_nonce_is_random():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    first, second = store.encrypt(key, b"same"), store.encrypt(key, b"same")
    assert first != second and first[1:17] == second[1:17]  # same key id, different nonce
    assert b"same" not in first


def test_wrong_context_or_tampering_is_detected():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    blob = store.encrypt(key, b"payload", b"stream-a")
    with pytest.raises(InvalidCiphertextError):
        store.decrypt(blob, b"stream-b")
    for i in range(17, len(blob)):  # nonce, ciphertext and tag
        forged = bytearray(blob)
        forged[i] ^= 0x01
        with pytest.raises(InvalidCiphertextError):
            store.decrypt(bytes(forged), b"stream-a")


@pytest.mark.parametrize("blob", [b"", b"\x01" * 44, b"\x02" + bytes(60)])
def test_malformed_blobs_are_invalid(blob):
    store = KeyStore()
    with pytest.raises(InvalidCiphertextError):
        store.decrypt(blob)


def test_blob_of_an_unknown_key_is_invalid():
    elsewhere = KeyStore()
    blob = elsewhere.encrypt(elsewhere.create_key(ACCOUNT, REGION), b"x")
    with pytest.raises(InvalidCiphertextError):
        KeyStore().decrypt(blob)


def test_old_blobs_decrypt_after_switching_keys():
    store = KeyStore()
    old, new = store.create_key(ACCOUNT, REGION), store.create_key(ACCOUNT, REGION)
    blob_old, blob_new = store.encrypt(old, b"before"), store.encrypt(new, b"after")
    assert store.decrypt(blob_old) == b"before" and store.decrypt(blob_new) == b"after"


def test_encrypt_for_takes_any_reference():
    store = KeyStore()
    managed = store.resolve(ACCOUNT, REGION, "alias/aws/kinesis")
    blob = store.encrypt_for(ACCOUNT, REGION, "alias/aws/kinesis", b"data", b"ctx")
    assert store.key_of(blob) == managed and store.decrypt(blob, b"ctx") == b"data"
    with pytest.raises(KeyNotFoundError):
        store.encrypt_for(ACCOUNT, REGION, "alias/missing", b"data")


def test_disabled_key_refuses_both_ways_even_through_a_stale_copy():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    blob = store.encrypt(key, b"x")
    disabled = store.set_enabled(key.key_id, False)
    assert not disabled.enabled and store.find(ACCOUNT, REGION, key.key_id) == disabled
    with pytest.raises(KeyDisabledError):
        store.encrypt(key, b"y")  # `key` still says enabled
    with pytest.raises(KeyDisabledError):
        store.decrypt(blob)
    store.set_enabled(key.key_id, True)
    assert store.decrypt(blob) == b"x"


def test_encrypt_many_seals_each_item_like_encrypt_with_its_own_nonce():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION)
    blobs = store.encrypt_many(key, [b"a", b"b", b"a"], b"ctx")
    assert [store.decrypt(blob, b"ctx") for blob in blobs] == [b"a", b"b", b"a"]
    assert len({blob[17:29] for blob in blobs}) == 3  # distinct nonces
    assert store.encrypt_many(key, [], b"ctx") == []
    store.set_enabled(key.key_id, False)
    with pytest.raises(KeyDisabledError):
        store.encrypt_many(key, [b"c"])  # `key` still says enabled


# -- persistence -----------------------------------------------------------------------------------
def test_snapshot_round_trip_restores_keys_aliases_and_material():
    store = KeyStore()
    key = store.create_key(ACCOUNT, REGION, description="orders")
    store.create_alias(ACCOUNT, REGION, "alias/orders", key.key_id)
    managed = store.resolve(ACCOUNT, REGION, "alias/aws/kinesis")
    store.set_enabled(key.key_id, False)
    blob = store.encrypt(managed, b"secret", b"ctx")
    for copy in (KeyStore.from_dict(store.to_dict()), KeyStore.from_bytes(store.to_bytes())):
        assert copy.find(ACCOUNT, REGION, "alias/orders") == replace(key, enabled=False)
        assert copy.resolve(ACCOUNT, REGION, "alias/aws/kinesis") == managed  # not re-created
        assert copy.decrypt(blob, b"ctx") == b"secret"
        assert copy.keys(ACCOUNT, REGION) == store.keys(ACCOUNT, REGION)
    assert Key.from_dict(key.to_dict()) == key


def test_revision_moves_on_every_change_and_only_then():
    store = KeyStore()
    seen = [store.revision]

    def moved() -> bool:
        seen.append(store.revision)
        return seen[-1] != seen[-2]

    key = store.create_key(ACCOUNT, REGION)
    assert moved()
    store.create_alias(ACCOUNT, REGION, "alias/a", key.key_id)
    assert moved()
    store.resolve(ACCOUNT, REGION, "alias/aws/kinesis")  # first use creates the managed key
    assert moved()
    store.resolve(ACCOUNT, REGION, "alias/aws/kinesis")
    store.find(ACCOUNT, REGION, "alias/a")
    store.decrypt(store.encrypt(key, b"x"))
    assert not moved()
    store.set_enabled(key.key_id, False)
    assert moved()


def test_creation_time_comes_from_the_clock():
    clock = TestClock()
    clock.advance(1000)
    key = KeyStore(clock).create_key(ACCOUNT, REGION)
    assert key.created_s == pytest.approx(clock.now(), abs=5)
