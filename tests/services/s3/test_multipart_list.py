"""ListParts and ListMultipartUploads: order, markers, pagination, prefixes and delimiters."""

from __future__ import annotations

from typing import Any

from headwater.services.s3.bucket_rules import owner_of
from tests.services.s3.harness import ACCOUNT, S3Harness, run


def test_list_parts_pages_by_part_number() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        upload_id = await h.create(StorageClass="STANDARD_IA")
        for number in (5, 1, 3, 2, 4):
            await h.part(upload_id, number, f"part {number}".encode())

        async def page(**params: Any) -> dict[str, Any]:
            return await h.call("ListParts", Bucket="bkt", Key="obj", UploadId=upload_id, **params)  # type: ignore[no-any-return]

        first = await page(MaxParts=2)
        assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
        assert (first["IsTruncated"], first["NextPartNumberMarker"], first["MaxParts"]) == (True, 2, 2)
        assert first["Parts"][0]["Size"] == 6 and first["Parts"][0]["ETag"].startswith('"')
        assert first["Initiator"] == first["Owner"] == owner_of(ACCOUNT)
        assert first["StorageClass"] == "STANDARD_IA"
        second = await page(MaxParts=2, PartNumberMarker=2)
        assert [p["PartNumber"] for p in second["Parts"]] == [3, 4]
        assert (second["IsTruncated"], second["NextPartNumberMarker"], second["PartNumberMarker"]) == (
            True,
            4,
            2,
        )
        last = await page(MaxParts=2, PartNumberMarker=4)
        assert ([p["PartNumber"] for p in last["Parts"]], last["IsTruncated"]) == ([5], False)
        everything = await page()
        assert (len(everything["Parts"]), everything["MaxParts"], everything["IsTruncated"]) == (
            5,
            1000,
            False,
        )
        assert (await page(MaxParts=5000))["MaxParts"] == 1000
        error = await h.error("ListParts", Bucket="bkt", Key="obj", UploadId=upload_id, MaxParts=-1)
        assert error.code == "InvalidArgument"

    run(test)


def test_list_uploads_orders_by_key_then_initiation_and_pages_with_markers() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        created = []
        for key in ("b", "a", "b", "c", "a"):
            created.append((key, await h.create(key=key)))
            h.core.clock.advance(1)  # type: ignore[attr-defined]
        expected = sorted(created, key=lambda kv: (kv[0], created.index(kv)))

        async def page(**params: Any) -> dict[str, Any]:
            return await h.call("ListMultipartUploads", Bucket="bkt", **params)  # type: ignore[no-any-return]

        everything = await page()
        assert [(u["Key"], u["UploadId"]) for u in everything["Uploads"]] == expected
        assert everything["IsTruncated"] is False and everything["MaxUploads"] == 1000
        upload = everything["Uploads"][0]
        assert upload["Owner"] == upload["Initiator"] == owner_of(ACCOUNT)
        assert upload["StorageClass"] == "STANDARD" and upload["Initiated"].tzinfo is not None

        seen: list[tuple[str, str]] = []
        markers: dict[str, Any] = {}
        while True:
            result = await page(MaxUploads=2, **markers)
            seen += [(u["Key"], u["UploadId"]) for u in result["Uploads"]]
            if not result["IsTruncated"]:
                break
            assert len(result["Uploads"]) == 2
            markers = {"KeyMarker": result["NextKeyMarker"], "UploadIdMarker": result["NextUploadIdMarker"]}
        assert seen == expected

        after_a = await page(KeyMarker="a")  # without an upload id marker: keys after "a" only
        assert [u["Key"] for u in after_a["Uploads"]] == ["b", "b", "c"]

    run(test)


def test_list_uploads_with_prefix_and_delimiter_rolls_up_common_prefixes() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        for key in (
            "photos/2006/jan.jpg",
            "photos/2006/feb.jpg",
            "photos/2007/x.jpg",
            "photos/top.jpg",
            "videos/a",
        ):
            await h.create(key=key)

        async def page(**params: Any) -> dict[str, Any]:
            return await h.call("ListMultipartUploads", Bucket="bkt", **params)  # type: ignore[no-any-return]

        result = await page(Prefix="photos/", Delimiter="/")
        assert [u["Key"] for u in result["Uploads"]] == ["photos/top.jpg"]
        assert result["CommonPrefixes"] == [{"Prefix": "photos/2006/"}, {"Prefix": "photos/2007/"}]
        assert (result["Prefix"], result["Delimiter"]) == ("photos/", "/")

        first = await page(Prefix="photos/", Delimiter="/", MaxUploads=1)
        assert first["CommonPrefixes"] == [{"Prefix": "photos/2006/"}] and first["Uploads"] == []
        assert (first["IsTruncated"], first["NextKeyMarker"]) == (True, "photos/2006/")
        rest = await page(Prefix="photos/", Delimiter="/", KeyMarker=first["NextKeyMarker"])
        assert rest["CommonPrefixes"] == [{"Prefix": "photos/2007/"}]
        assert [u["Key"] for u in rest["Uploads"]] == ["photos/top.jpg"]

        top = await page(Delimiter="/")
        assert top["CommonPrefixes"] == [{"Prefix": "photos/"}, {"Prefix": "videos/"}]

    run(test)


def test_list_uploads_url_encoding_and_empty_buckets() -> None:
    async def test(h: S3Harness) -> None:
        await h.bucket()
        empty = await h.call("ListMultipartUploads", Bucket="bkt")
        assert (empty["Uploads"], empty["IsTruncated"]) == ([], False)
        await h.create(key="a b/ç")
        result = await h.call("ListMultipartUploads", Bucket="bkt", EncodingType="url")
        assert result["Uploads"][0]["Key"] == "a%20b/%C3%A7"
        assert result["EncodingType"] == "url"
        error = await h.error("ListMultipartUploads", Bucket="bkt", MaxUploads=-5)
        assert error.code == "InvalidArgument"

    run(test)
