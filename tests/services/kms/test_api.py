"""The KMS API driven directly (no sockets): the memory engine, a test clock, the key ring."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from headwater.engine.memory import MemoryEngine
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import TestClock
from headwater.services.context import RequestContext
from headwater.services.kms.api import OPERATIONS, KmsApi
from headwater.services.kms.crypto import context_aad
from headwater.services.kms.keyring import LocalKeyRing
from headwater.services.kms.paging import page
from headwater.services.ports import KeyDisabledError, KeyNotFoundError, KeyStateError

ACCOUNT, REGION = "123456789012", "eu-west-1"
CTX = RequestContext(ACCOUNT, REGION, "request")
DAY = 86_400


class Harness:
    def __init__(self, ring: LocalKeyRing, clock: TestClock) -> None:
        self.ring, self.clock, self.api = ring, clock, KmsApi(ring)

    async def call(self, operation: str, ctx: RequestContext = CTX, **params: Any) -> dict[str, Any]:
        handler = self.api.operation(operation)
        assert handler is not None, operation
        return await handler(params, ctx)

    async def error(self, operation: str, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as info:
            await self.call(operation, **params)
        return info.value

    async def key(self, **params: Any) -> dict[str, Any]:
        return (await self.call("CreateKey", **params))["KeyMetadata"]


def run(body: Callable[[Harness], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = TestClock()
        engine = MemoryEngine()
        await engine.start()
        try:
            await body(Harness(LocalKeyRing(engine.meta, clock), clock))
        finally:
            await engine.close()

    asyncio.run(main())


def test_every_listed_operation_is_served() -> None:
    wanted = {
        "CreateKey", "DescribeKey", "ListKeys", "EnableKey", "DisableKey", "ScheduleKeyDeletion",
        "CancelKeyDeletion", "CreateAlias", "DeleteAlias", "UpdateAlias", "ListAliases", "Encrypt", "Decrypt",
        "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom", "TagResource",
        "UntagResource", "ListResourceTags", "EnableKeyRotation", "GetKeyRotationStatus",
    }  # fmt: skip
    assert wanted <= set(OPERATIONS)


def test_keys_are_per_account_and_region() -> None:
    async def body(h: Harness) -> None:
        key = await h.key()
        elsewhere = RequestContext(ACCOUNT, "us-east-1", "r")
        assert (await h.call("ListKeys", ctx=elsewhere))["Keys"] == []
        assert (await h.call("DescribeKey", KeyId=key["KeyId"]))["KeyMetadata"]["Arn"] == key["Arn"]
        with pytest.raises(AwsError) as info:
            await h.call("DescribeKey", ctx=elsewhere, KeyId=key["KeyId"])
        assert info.value.code == "NotFoundException"
        assert (
            info.value.message == f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{key['KeyId']}' does not exist"
        )
        # KMS is regional: not even the key's full ARN names it from another region
        with pytest.raises(AwsError) as info:
            await h.call("DescribeKey", ctx=elsewhere, KeyId=key["Arn"])
        assert (info.value.code, info.value.message) == (
            "NotFoundException",
            f"Key '{key['Arn']}' does not exist",
        )

    run(body)


def test_blob_of_another_region_is_invalid_ciphertext() -> None:
    async def body(h: Harness) -> None:
        key = await h.key()
        blob = (await h.call("Encrypt", KeyId=key["KeyId"], Plaintext=b"x"))["CiphertextBlob"]
        with pytest.raises(AwsError) as info:
            await h.call("Decrypt", ctx=RequestContext(ACCOUNT, "us-east-1", "r"), CiphertextBlob=blob)
        assert (info.value.code, info.value.message) == ("InvalidCiphertextException", "")

    run(body)


def test_deletion_follows_the_clock_and_keeps_the_tombstone_for_recovery() -> None:
    async def body(h: Harness) -> None:
        key = await h.key()
        sealed = h.ring.seal(ACCOUNT, REGION, key["KeyId"], b"data", b"aad")
        await h.call("ScheduleKeyDeletion", KeyId=key["KeyId"], PendingWindowInDays=7)
        with pytest.raises(KeyStateError):
            h.ring.open(sealed, b"aad")
        h.clock.advance(7 * DAY)
        with pytest.raises(KeyNotFoundError):
            h.ring.open(sealed, b"aad")
        with pytest.raises(KeyNotFoundError):
            h.ring.check(ACCOUNT, REGION, key["KeyId"])
        # a service rebuilding its in-memory state at start still can
        assert h.ring.recover(sealed, b"aad") == b"data"
        assert (await h.call("ListKeys"))["Keys"] == []

    run(body)


def test_ring_errors_are_service_neutral_and_state_is_checked_on_every_use() -> None:
    async def body(h: Harness) -> None:
        key = await h.key()
        arn = await h.ring.resolve(ACCOUNT, REGION, key["KeyId"])
        assert arn == key["Arn"] and h.ring.check(ACCOUNT, REGION, arn) == arn
        sealed = h.ring.seal(ACCOUNT, REGION, arn, b"data", b"aad")
        await h.call("DisableKey", KeyId=key["KeyId"])
        for attempt in (
            lambda: h.ring.seal(ACCOUNT, REGION, arn, b"more", b"aad"),
            lambda: h.ring.open(sealed, b"aad"),
            lambda: h.ring.check(ACCOUNT, REGION, arn),
        ):
            with pytest.raises(KeyDisabledError, match=r"is disabled\.$"):
                attempt()
        await h.call("EnableKey", KeyId=key["KeyId"])
        assert h.ring.open(sealed, b"aad") == b"data"

    run(body)


def test_state_persists_in_the_metadata_store() -> None:
    async def body(h: Harness) -> None:
        key = await h.key(Description="d")
        await h.call("CreateAlias", AliasName="alias/x", TargetKeyId=key["KeyId"])
        await h.call("DisableKey", KeyId=key["KeyId"])
        again = LocalKeyRing(h.ring.meta, h.clock)  # what a restart reads
        found = again.store.find(ACCOUNT, REGION, "alias/x")
        assert (found.key_id, found.description, found.enabled) == (key["KeyId"], "d", False)

    run(body)


def test_context_aad_ignores_order_and_tells_pairs_apart() -> None:
    assert context_aad({"a": "1", "b": "2"}) == context_aad({"b": "2", "a": "1"})
    assert context_aad(None) == context_aad({})
    assert context_aad({"a": "1,b"}) != context_aad({"a": "1", "b": ""})


def test_paging_markers() -> None:
    items = list(range(5))
    first, more = page(items, {"Limit": 2})
    assert list(first) == [0, 1] and more["Truncated"] is True
    second, more = page(items, {"Limit": 2, "Marker": more["NextMarker"]})
    assert list(second) == [2, 3]
    last, more = page(items, {"Limit": 2, "Marker": more["NextMarker"]})
    assert list(last) == [4] and more == {"Truncated": False}
    for marker in ("x", "OTk=", "LTE="):  # not base64 of a position, 99, -1
        with pytest.raises(AwsError) as info:
            page(items, {"Marker": marker})
        assert info.value.code == "InvalidMarkerException"


def test_managed_keys_are_created_by_services_and_listed_as_aws() -> None:
    async def body(h: Harness) -> None:
        arn = await h.ring.resolve(ACCOUNT, REGION, "alias/aws/kinesis")
        listed = (await h.call("ListAliases"))["Aliases"]
        assert [a["AliasName"] for a in listed] == ["alias/aws/kinesis", "alias/aws/s3", "alias/aws/sqs"]
        (alias,) = [a for a in listed if "TargetKeyId" in a]
        assert alias["AliasName"] == "alias/aws/kinesis" and arn.endswith(alias["TargetKeyId"])
        meta = (await h.call("DescribeKey", KeyId="alias/aws/kinesis"))["KeyMetadata"]
        assert meta["KeyManager"] == "AWS" and meta["Description"] == "Default key for kinesis"
        error = await h.error("UpdateKeyDescription", KeyId=meta["KeyId"], Description="x")
        assert error.code == "AccessDeniedException"

    run(body)
