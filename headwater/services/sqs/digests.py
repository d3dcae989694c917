"""The MD5 digests SQS returns with every sent and received message.

MD5OfMessageBody is the hex MD5 of the UTF-8 body. MD5OfMessageAttributes (and, over the same
structure, MD5OfMessageSystemAttributes) hashes a canonical encoding of the attributes: for each
attribute in name order, the name, the full DataType (a custom suffix such as ``Number.float``
included), one transport byte (1 for a StringValue, 2 for a BinaryValue) and the value, each string
or byte value preceded by its length as a 4-byte big-endian integer. The Java, Go, .NET, PHP, Ruby
and JavaScript SDKs recompute both digests and fail the call on a mismatch; boto3 does not check.

Names sort by UTF-16 code units, as AWS (Java) and the Java and JavaScript SDKs sort them; this only
differs from code-point order for names mixing supplementary characters with U+E000..U+FFFF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

STRING_TRANSPORT = b"\x01"
BINARY_TRANSPORT = b"\x02"


def md5_of_body(body: str) -> str:
    """Hex MD5 of the UTF-8 body (MD5OfMessageBody / MD5OfBody)."""
    return hashlib.md5(body.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def md5_of_attributes(attrs: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """AWS's digest of message (or message system) attributes; None when there are none.

    `attrs` is the validated wire map ``{name: {"DataType": ..., "StringValue": ...}}`` with any
    BinaryValue already base64-decoded to bytes. An absent digest, not the digest of nothing, is
    what AWS sends for a message without attributes (the PHP SDK rejects anything else).
    """
    if not attrs:
        return None
    md5 = hashlib.md5(usedforsecurity=False)
    for name in sorted(attrs, key=_utf16_order):
        attr = attrs[name]
        _put(md5, name.encode("utf-8"))
        _put(md5, attr["DataType"].encode("utf-8"))
        string = attr.get("StringValue")
        if string is not None:
            md5.update(STRING_TRANSPORT)
            _put(md5, string.encode("utf-8", "surrogatepass"))
        else:
            md5.update(BINARY_TRANSPORT)
            _put(md5, bytes(attr.get("BinaryValue") or b""))
    return md5.hexdigest()


def _put(md5: Any, data: bytes) -> None:
    md5.update(len(data).to_bytes(4, "big"))
    md5.update(data)


def _utf16_order(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")
