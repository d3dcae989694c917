"""A Kinesis channel's object keys: the template evaluated at the oldest record's time, with a
unique suffix before the extension, and ZSTD objects that any zstd reader opens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import cramjam

from headwater.services.firehose import channel_keys
from headwater.services.firehose.compression import compress

AT = int(datetime(2026, 7, 4, 9, 5, 30, tzinfo=UTC).timestamp() * 1000)
DEFAULT = (
    "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/"
    "!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}"
)


def test_the_default_template() -> None:
    key = channel_keys.key(channel_keys.settings(DEFAULT, "ch", "id-1", "GZIP"), AT)
    assert re.fullmatch(
        r"kinesis-channel/ch/id-1/2026/07/04/09/ch-id-1-2026-07-04-09-05-[0-9a-f]{16}\.gz", key
    )


def test_every_variable_and_a_suffix_at_the_end() -> None:
    template = "!{YY}/!{yyyy}!{MM}!{dd}!{HH}!{mm}/!{channel-name}"
    key = channel_keys.key(channel_keys.settings(template, "c", "i", "ZSTD"), AT)
    assert re.fullmatch(r"26/202607040905/c-[0-9a-f]{16}", key)


def test_keys_are_unique() -> None:
    settings = channel_keys.settings("x/!{yyyy}!{extension}", "c", "i", "NONE")
    keys = {channel_keys.key(settings, AT) for _ in range(100)}
    assert len(keys) == 100 and all(k.startswith("x/2026-") for k in keys)


def test_zstd_objects() -> None:
    data = b"".join(f"record {i}\n".encode() for i in range(10_000))
    body = compress("ZSTD", data)
    assert body[:4] == b"\x28\xb5\x2f\xfd" and len(body) < len(data) // 10
    assert bytes(cramjam.zstd.decompress(body)) == data
