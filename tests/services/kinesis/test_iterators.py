import base64
import re

import pytest

from headwater.protocol.errors import AwsError
from headwater.services.kinesis import iterators
from headwater.services.kinesis.iterators import IteratorState, java_date, mint, open_iterator

KEY = bytes(range(32))
STREAM = {"account": "123456789012", "region": "us-east-1", "stream_name": "orders"}
SHARD = "shardId-000000000003"
T0 = 1_553_568_712_000  # Tue Mar 26 02:51:52 UTC 2019


def assert_invalid(token, key=KEY, now=T0):
    with pytest.raises(AwsError) as info:
        open_iterator(key, token, now)
    assert info.value.code == "InvalidArgumentException"
    assert info.value.message == "Invalid ShardIterator."
    assert info.value.status == 400


def test_round_trip():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=42, issued_ms=T0)
    assert open_iterator(KEY, token, T0 + 1000) == IteratorState(
        "123456789012", "us-east-1", "orders", SHARD, 42, T0, ""
    )


def test_round_trip_with_tag_and_large_values():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=2**63 - 1, issued_ms=2**62, tag="consumer/é")
    expected = IteratorState("123456789012", "us-east-1", "orders", SHARD, 2**63 - 1, 2**62, "consumer/é")
    assert open_iterator(KEY, token, 2**62) == expected


def test_tokens_are_opaque_standard_base64_and_unique():
    first, second = (mint(KEY, **STREAM, shard_id=SHARD, position=0, issued_ms=T0) for _ in range(2))
    assert first != second  # fresh nonce each time
    for token in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9+/]+=*", token)
        assert b"orders" not in base64.b64decode(token)
        assert open_iterator(KEY, token, T0).position == 0


def test_worst_case_length_fits_the_model():
    name = "s" * 128
    token = mint(
        KEY,
        account="123456789012",
        region="ap-southeast-5",
        stream_name=name,
        shard_id="shardId-" + "9" * 20,
        position=2**63 - 1,
        issued_ms=T0,
        tag="AT_TIMESTAMP",
    )
    assert len(token) <= 512
    assert open_iterator(KEY, token, T0).stream_name == name


def test_mint_refuses_what_cannot_be_encoded():
    with pytest.raises(ValueError):
        mint(KEY, **STREAM, shard_id=SHARD, position=-1, issued_ms=T0)
    with pytest.raises(ValueError):
        mint(KEY, **STREAM, shard_id=SHARD, position=0, issued_ms=-1)
    with pytest.raises(ValueError):
        mint(KEY, **{**STREAM, "stream_name": "a" * 256}, shard_id=SHARD, position=0, issued_ms=T0)
    with pytest.raises(ValueError):  # three maximal fields exceed 512 characters
        mint(
            KEY,
            **{**STREAM, "stream_name": "a" * 255},
            shard_id="b" * 255,
            position=0,
            issued_ms=T0,
            tag="c" * 255,
        )


def test_surrounding_double_quotes_are_accepted():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0)
    assert open_iterator(KEY, f'"{token}"', T0).position == 7


def test_a_lone_quote_is_not_stripped():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0)
    assert_invalid(f'"{token}')
    assert_invalid('"')


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "__kinesalite_test_1234",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "é" * 40,
        "not base64!!",
        '""',
    ],
)
def test_garbage_is_an_invalid_iterator(garbage):
    assert_invalid(garbage)


def test_every_altered_byte_is_detected():
    raw = base64.b64decode(mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0))
    for i in range(len(raw)):
        forged = bytearray(raw)
        forged[i] ^= 0x01
        assert_invalid(base64.b64encode(bytes(forged)).decode())


def test_truncated_and_extended_tokens_are_invalid():
    raw = base64.b64decode(mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0))
    assert_invalid(base64.b64encode(raw[:-1]).decode())
    assert_invalid(base64.b64encode(raw + b"\0").decode())


def test_another_servers_key_is_invalid():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0)
    assert_invalid(token, key=bytes(32))


def test_iterator_lives_exactly_five_minutes():
    token = mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0)
    assert open_iterator(KEY, token, T0 + 300_000).position == 7
    with pytest.raises(AwsError) as info:
        open_iterator(KEY, token, T0 + 300_001)
    assert info.value.code == "ExpiredIteratorException"
    assert info.value.status == 400
    assert info.value.message == (
        "Iterator expired. The iterator was created at time Tue Mar 26 02:51:52 UTC 2019 while right now it "
        "is Tue Mar 26 02:56:52 UTC 2019 which is further in the future than the tolerated delay of "
        "300000 milliseconds."
    )


def test_expiry_message_has_the_shape_aws_uses():
    # The pattern kinesalite checks AWS's message against.
    pattern = re.compile(
        r"^Iterator expired\. The iterator was created at time \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} "
        r"while right now it is \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} "
        r"which is further in the future than the tolerated delay of 300000 milliseconds\.$"
    )
    token = mint(KEY, **STREAM, shard_id=SHARD, position=0, issued_ms=1_483_228_800_000)
    with pytest.raises(AwsError) as info:
        open_iterator(KEY, token, 1_483_228_800_000 + 86_400_000 * 40)
    assert pattern.match(info.value.message)


def test_forged_beats_expired():
    # A tampered old token says nothing about its age: it is simply invalid.
    raw = bytearray(base64.b64decode(mint(KEY, **STREAM, shard_id=SHARD, position=7, issued_ms=T0)))
    raw[-1] ^= 0x80
    assert_invalid(base64.b64encode(bytes(raw)).decode(), now=T0 + 10**9)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (1_553_568_712_000, "Tue Mar 26 02:51:52 UTC 2019"),
        (1_483_228_800_999, "Sun Jan 01 00:00:00 UTC 2017"),
        (0, "Thu Jan 01 00:00:00 UTC 1970"),
        (951_825_600_000, "Tue Feb 29 12:00:00 UTC 2000"),
    ],
)
def test_java_date(ms, text):
    assert java_date(ms) == text


def test_new_key_is_random_and_usable():
    key = iterators.new_key()
    assert len(key) == 32 and key != iterators.new_key()
    assert open_iterator(key, mint(key, **STREAM, shard_id=SHARD, position=1, issued_ms=T0), T0).position == 1
