"""iot-data's page tokens: the broker's or the shadow store's marker (the last name listed), base64url
so clients treat it as opaque; anything that is not one of ours is refused as AWS refuses it."""

from __future__ import annotations

import base64
import binascii

from headwater.services.iot_data.errors import invalid_request


def next_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode()).decode()


def marker_of(token: str | None) -> str | None:
    """The marker a request's nextToken carries (None without one); InvalidRequestException when
    the token is not one Headwater gave."""
    if token is None:
        return None
    try:
        marker = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        marker = ""
    if not marker:
        raise invalid_request("The nextToken is not valid")
    return marker
