"""S3's error document, and the refusals of the protocol layer itself.

S3 answers every failure with ``<Error><Code/><Message/>...<RequestId/><HostId/></Error>`` (no
namespace, unlike its results), where ``...`` are the elements that name what failed: ``BucketName``
for NoSuchBucket, ``Key`` for NoSuchKey, ``ArgumentName``/``ArgumentValue`` for InvalidArgument,
``Method``/``ResourceType`` for MethodNotAllowed, ``Condition`` for PreconditionFailed. They come
after the message and before the request ids, in the order the raiser lists them: an AwsError
carries them as ``details``.
"""

from __future__ import annotations

from collections.abc import Mapping

from headwater.protocol.errors import AwsError

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Text escaping for element content: `\r` too, which an XML parser would otherwise turn into `\n`.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return text.translate(_TEXT_ESCAPES)
    return text


def serialize_error(
    code: str, message: str, request_id: str, host_id: str, fields: Mapping[str, str] | None = None
) -> bytes:
    """S3's ``<Error>`` document, `fields` between the message and the request ids."""
    parts = [f"{XML_DECLARATION}<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"]
    if fields:
        for name, value in fields.items():
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    parts.append(f"<RequestId>{escape(request_id)}</RequestId><HostId>{escape(host_id)}</HostId></Error>")
    return "".join(parts).encode()


# --- the protocol layer's own refusals -----------------------------------------------------------------


def malformed_xml() -> AwsError:
    return AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def invalid_argument(message: str, name: str, value: str) -> AwsError:
    return AwsError("InvalidArgument", message, details={"ArgumentName": name, "ArgumentValue": value})


def method_not_allowed(method: str, resource_type: str, allow: list[str] | None = None) -> AwsError:
    """405 naming the method and the resource type; `allow` becomes the ``Allow`` header."""
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        details={"Method": method, "ResourceType": resource_type},
        headers={"Allow": ", ".join(allow)} if allow else None,
    )
