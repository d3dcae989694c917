"""AWS REST-JSON: see `codec` (requests, responses, errors) and `headwater.protocol.rest_router`."""

from headwater.protocol.rest_json.codec import (
    CONTENT_TYPE,
    error_response,
    parse_request,
    serialize_error,
    serialize_response,
)
from headwater.protocol.rest_router import RestMatch, RestRouter

__all__ = [
    "CONTENT_TYPE",
    "RestMatch",
    "RestRouter",
    "error_response",
    "parse_request",
    "serialize_error",
    "serialize_response",
]
