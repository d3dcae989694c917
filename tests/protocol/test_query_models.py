"""Which services speak AWS Query, and the model each speaks it with: natively (STS) or by overlay (SQS)."""

from __future__ import annotations

import pytest

from headwater.protocol import query_compat
from headwater.protocol.models import query_model, query_native, serves_query, service_model


def test_query_speakers() -> None:
    assert query_native("sts") and not query_native("sqs") and not query_native("kinesis")
    assert serves_query("sts") and serves_query("sqs") and not serves_query("kinesis")


def test_a_native_query_service_is_served_with_its_own_model() -> None:
    assert query_model("sts") is service_model("sts")
    assert query_model("sqs") is not service_model("sqs")
    with pytest.raises(KeyError):
        query_model("kinesis")


def test_the_sts_overlay_holds_only_error_codes() -> None:
    overlay = query_compat.overlay("sts")
    assert overlay is not None and not overlay.query
    spec = overlay.error("ValidationException")
    assert spec is not None and (spec.query_code, spec.status) == ("ValidationError", 400)
    expired = overlay.error("ExpiredTokenException")
    assert expired is not None and (expired.query_code, expired.status) == ("ExpiredToken", 403)
