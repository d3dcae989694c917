"""The Device Shadow service's refusals: an HTTP-style code and AWS's message, published as the
error document `{code, message, timestamp, clientToken}` on `/rejected` (MQTT) or raised as the
iot-data exception of that status (REST)."""

from __future__ import annotations

from headwater.services.ports import ShadowError

INVALID_JSON = "Invalid JSON"
MISSING_STATE = "Missing required node: state"
STATE_NOT_OBJECT = "State node must be an object"
DESIRED_NOT_OBJECT = "Desired node must be an object"
REPORTED_NOT_OBJECT = "Reported node must be an object"
INVALID_VERSION = "Invalid version"
INVALID_TOKEN = "Invalid clientToken"
TOO_DEEP = "JSON contains too many levels of nesting; maximum is 6"
INVALID_NODE = "State contains an invalid node"
VERSION_CONFLICT = "Version conflict"
TOO_LARGE = "The payload exceeds the maximum size allowed"
NOT_UTF8 = "Unsupported documented encoding; supported encoding is UTF-8"
TOO_MANY = "Too Many Requests"
INTERNAL = "Internal service failure"


def bad_request(message: str) -> ShadowError:
    return ShadowError(400, message)


def not_found(shadow: str) -> ShadowError:
    # the thing's name for a classic shadow, the shadow's for a named one (as AWS words it)
    return ShadowError(404, f"No shadow exists with name: '{shadow}'")


def conflict() -> ShadowError:
    return ShadowError(409, VERSION_CONFLICT)


def too_large() -> ShadowError:
    return ShadowError(413, TOO_LARGE)


def not_utf8() -> ShadowError:
    return ShadowError(415, NOT_UTF8)


def too_many() -> ShadowError:
    return ShadowError(429, TOO_MANY)


def internal() -> ShadowError:
    return ShadowError(500, INTERNAL)
