import base64
import hashlib
import hmac
import random
import re
import string

import pytest

from headwater.services.sqs.receipts import ReceiptHandles

KEY = bytes(range(32))
WIRE = re.compile(r"[A-Za-z0-9_.]+")


@pytest.fixture
def handles() -> ReceiptHandles:
    return ReceiptHandles(KEY)


@pytest.mark.parametrize(
    ("queue_id", "seq", "token"),
    [
        ("123456789012/orders", 1, 1),
        ("123456789012/orders.fifo", 0, 0),
        ("", 2**64 - 1, 2**64 - 1),
        ("000000000000/ünïcode-名前", 987654321, 2**63),
        ("x" * 512, 42, 7),
    ],
)
def test_round_trip(handles, queue_id, seq, token):
    handle = handles.encode(queue_id, seq, token)
    assert WIRE.fullmatch(handle)
    assert handles.decode(handle) == (queue_id, seq, token)


def test_fields_are_not_in_clear_text(handles):
    handle = handles.encode("123456789012/visible-queue-name", 123456, 654321)
    assert "visible" not in handle
    assert "queue" not in handle


def test_deterministic_and_distinct(handles):
    assert handles.encode("q", 1, 2) == handles.encode("q", 1, 2)
    seen = {handles.encode("q", seq, token) for seq in range(20) for token in range(20)}
    assert len(seen) == 400


def test_never_contains_a_dash_and_stays_url_safe(handles):
    rng = random.Random(99)
    for _ in range(5000):
        queue_id = "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 90)))
        seq, token = rng.getrandbits(64), rng.getrandbits(64)
        handle = handles.encode(queue_id, seq, token)
        assert "-" not in handle
        assert WIRE.fullmatch(handle), handle
        assert handles.decode(handle) == (queue_id, seq, token)


def test_every_character_changed_is_rejected(handles):
    handle = handles.encode("123456789012/orders", 77, 88)
    alphabet = string.ascii_letters + string.digits + "_."
    for index, original in enumerate(handle):
        for replacement in alphabet:
            if replacement != original:
                forged = handle[:index] + replacement + handle[index + 1 :]
                assert handles.decode(forged) is None, (index, replacement)


def test_every_byte_flipped_is_rejected(handles):
    # flip each bit of the decoded bytes and re-encode canonically: the tag must catch every one
    handle = handles.encode("123456789012/orders", 77, 88)
    raw = bytearray(_raw(handle))
    for index in range(len(raw)):
        for bit in range(8):
            raw[index] ^= 1 << bit
            assert handles.decode(_wire(bytes(raw))) is None, (index, bit)
            raw[index] ^= 1 << bit
    assert handles.decode(_wire(bytes(raw))) == ("123456789012/orders", 77, 88)


def test_truncated_and_extended_handles_are_rejected(handles):
    handle = handles.encode("123456789012/orders", 5, 6)
    for length in range(len(handle)):
        assert handles.decode(handle[:length]) is None
    for suffix in ("A", "AA", "AAAA", "=", "==", "\n", "-x"):
        assert handles.decode(handle + suffix) is None


def test_foreign_characters_are_rejected(handles):
    handle = handles.encode("q", 5, 6)
    for char in "+/-=~ \n\té":
        assert handles.decode(handle[:10] + char + handle[11:]) is None


def test_standard_base64_spelling_is_rejected(handles):
    # the same bytes spelled with + and / instead of _ and . are not our canonical form
    handle = next(h for token in range(1000) if "_" in (h := handles.encode("q", 1, token)))
    assert handles.decode(handle.replace("_", "+").replace(".", "/")) is None


def test_wrong_key_is_rejected(handles):
    handle = handles.encode("123456789012/orders", 1, 2)
    assert ReceiptHandles(b"another key, 32 bytes long......").decode(handle) is None
    assert ReceiptHandles(KEY).decode(handle) == ("123456789012/orders", 1, 2)  # same key, new instance


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "A",
        "AAAA",
        "A" * 44,
        "A" * 5000,
        "not a handle",
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRob",
        None,
        42,
        b"bytes",
    ],
)
def test_junk_is_rejected(handles, junk):
    assert handles.decode(junk) is None


def test_aws_style_and_other_emulators_handles_are_rejected(handles):
    aws = "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq/XBuLLiDRFxzeBP/GRtEbCX8U0zn6G3zZL5Wbp3H8XfdT0PR0TFXsJNLqCsw=="
    elasticmq = "9f2b1a2c-0000-4000-8000-000000000000#1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert handles.decode(aws) is None
    assert handles.decode(elasticmq) is None


def test_out_of_range_fields_are_refused(handles):
    for seq, token in ((-1, 0), (0, -1), (2**64, 0), (0, 2**64)):
        with pytest.raises(ValueError):
            handles.encode("q", seq, token)
    with pytest.raises(ValueError):
        handles.encode("x" * 513, 0, 0)


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        ReceiptHandles(b"too short")


def test_tag_is_hmac_sha256_truncated_to_16_bytes(handles):
    handle = handles.encode("123456789012/orders", 3, 4)
    raw = _raw(handle)
    mac_key = hmac.digest(KEY, b"headwater/sqs/receipt/mac", "sha256")
    stream_key = hmac.digest(KEY, b"headwater/sqs/receipt/stream", "sha256")
    tag, body = raw[:16], raw[16:]
    stream = hashlib.shake_256(stream_key + tag).digest(len(body))
    plain = bytes(a ^ b for a, b in zip(body, stream, strict=True))
    assert plain == b"\x01" + (3).to_bytes(8, "big") + (4).to_bytes(8, "big") + b"123456789012/orders"
    assert tag == hmac.new(mac_key, plain, hashlib.sha256).digest()[:16]


def test_length_is_bounded(handles):
    # 16-byte tag + 17 fixed bytes + the queue id, base64 without padding
    assert len(handles.encode("", 0, 0)) == 44
    assert len(handles.encode("123456789012/orders", 0, 0)) == 70
    assert len(handles.encode("x" * 512, 0, 0)) == 727


def _raw(handle: str) -> bytes:
    return base64.b64decode(handle + "=" * (-len(handle) % 4), altchars=b"_.")


def _wire(raw: bytes) -> str:
    return base64.b64encode(raw, altchars=b"_.").decode().rstrip("=")
