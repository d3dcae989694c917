import hashlib
import random
import struct

import pytest

from headwater.services.sqs.digests import md5_of_attributes, md5_of_body


def s(value: str, data_type: str = "String") -> dict:
    return {"DataType": data_type, "StringValue": value}


def b(value: bytes, data_type: str = "Binary") -> dict:
    return {"DataType": data_type, "BinaryValue": value}


FLOAT = s("4563442423554324324264524243.32543234", "Number.float")
TRACE = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"


@pytest.mark.parametrize(
    ("attrs", "digest"),
    [
        # the four published vectors of npm aws-md5-of-message-attributes
        ({"attribName1": s("attribValue 1")}, "19e27d4e946b072f3f58da80d94fd778"),
        ({"customNumberTypeAttrib": FLOAT}, "9fe1b90bbd9965bdf77bac517c7d2495"),
        ({"binaryAttribute": b(b"Hello binary world!")}, "31a92b15d92f8db860eda32aceb656c3"),
        (
            {
                "attribName1": s("attribValue 1"),
                "customNumberTypeAttrib": FLOAT,
                "binaryAttribute": b(b"Hello binary world!"),
            },
            "c932db14a896c663f83c260297d594ff",
        ),
        # digests AWS returned, recorded in LocalStack's snapshot files
        (
            {"General": s("Kenobi"), "Hello": s("There"), "Help.Me": s("Me")},
            "4c360f3fdafd970e05fae2f149d997f5",
        ),
        ({"General": s("Kenobi"), "Hello": s("There")}, "fca026605781cb4126a1e9044df24232"),
        ({"Hello": s("There")}, "a311262e065454b75da111d535b8dacd"),
        ({"Hello": s("There"), "Help.Me": s("Me")}, "83fee93c1bcd8b9a5a923ffacdc636c7"),
        ({"Foo": s("Bar")}, "ae7155c6026991b6d54b11589678bf9c"),
        ({"attr1": b(TRACE)}, "8cbe4db156db8a94db8b801b7addb984"),
    ],
)
def test_published_vectors(attrs, digest):
    assert md5_of_attributes(attrs) == digest


def test_system_attributes_use_the_same_algorithm():
    # MD5OfMessageSystemAttributes of an AWSTraceHeader (local-aws-sqs's suite)
    assert md5_of_attributes({"AWSTraceHeader": s("some-trace-id")}) == "fdce4f2818803f2f73becc09a54792c0"


def test_empty_means_no_digest():
    assert md5_of_attributes({}) is None
    assert md5_of_attributes(None) is None


def test_order_of_the_input_map_does_not_matter():
    forward = {"a": s("1"), "b": s("2", "Number"), "c": b(b"\x00")}
    backward = dict(reversed(forward.items()))
    assert md5_of_attributes(forward) == md5_of_attributes(backward)


def test_custom_type_suffix_is_hashed():
    assert md5_of_attributes({"n": s("1", "Number")}) != md5_of_attributes({"n": s("1", "Number.int")})


def test_body_digest():
    assert md5_of_body("msg") == "6e2baaf3b97dbeef01c0043275f9a0e7"  # AWS, LocalStack snapshot
    assert md5_of_body("test") == "098f6bcd4621d373cade4e832627b4f6"
    assert md5_of_body("é€😀") == hashlib.md5("é€😀".encode()).hexdigest()


# --- an independent implementation, written differently -----------------------------------------


def reference(attrs: dict) -> str | None:
    """struct-based, one buffer, sorted by UTF-16 code units via a comparison of encoded names."""
    if not attrs:
        return None
    buffer = bytearray()

    def field(data: bytes) -> None:
        buffer.extend(struct.pack(">I", len(data)))
        buffer.extend(data)

    for name in sorted(attrs, key=lambda n: n.encode("utf-16-be", "surrogatepass")):
        value = attrs[name]
        field(name.encode())
        field(value["DataType"].encode())
        if "StringValue" in value:
            buffer.extend(struct.pack(">B", 1))
            field(value["StringValue"].encode())
        else:
            buffer.extend(struct.pack(">B", 2))
            field(value["BinaryValue"])
    return hashlib.md5(bytes(buffer)).hexdigest()


def random_attrs(rng: random.Random) -> dict:
    alphabet = "abcXYZ019_-.éß\ue000\U0001f600"
    attrs = {}
    for _ in range(rng.randint(1, 10)):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        kind = rng.choice(["String", "Number", "Binary"])
        data_type = kind + rng.choice(["", ".custom", ".ü"])
        if kind == "Binary":
            attrs[name] = b(rng.randbytes(rng.randint(1, 40)), data_type)
        else:
            attrs[name] = s("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))), data_type)
    return attrs


def test_matches_an_independent_implementation():
    rng = random.Random(1234)
    for _ in range(500):
        attrs = random_attrs(rng)
        assert md5_of_attributes(attrs) == reference(attrs)


def test_names_sort_by_utf16_code_units():
    # U+FF21 sorts before U+1F600 by code point but after it in UTF-16 (0xFF21 > 0xD83D)
    attrs = {"\uff21": s("x"), "\U0001f600": s("y")}
    assert md5_of_attributes(attrs) == reference(attrs)
    code_point_order = hashlib.md5()
    for name in sorted(attrs):
        for part in (name.encode(), b"String"):
            code_point_order.update(struct.pack(">I", len(part)) + part)
        code_point_order.update(b"\x01" + struct.pack(">I", 1) + attrs[name]["StringValue"].encode())
    assert md5_of_attributes(attrs) != code_point_order.hexdigest()
