"""The iot-data errors this service raises itself, and the broker's refusals as AWS errors."""

from __future__ import annotations

from headwater.protocol.errors import AwsError
from headwater.services.ports import DataPlaneError


def invalid_request(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message, 400)


def from_plane(error: DataPlaneError) -> AwsError:
    """The broker speaks AWS's codes already (DataPlaneError's contract): keep code, message, status."""
    return AwsError(error.code, error.message, error.status, sender_fault=error.status < 500)


def broker_missing() -> AwsError:
    return AwsError("ServiceUnavailableException", "The IoT message broker is not running", 503)
