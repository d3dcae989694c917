"""The bridge's pace and its TLS context."""

from __future__ import annotations

import ssl
import time

from headwater.config import EdgeConfig
from headwater.services.iot.bridge.upstream import Pace, tls_context


def test_the_pace_allows_small_bursts_then_the_rate() -> None:
    pace = Pace(100.0)
    for _ in range(10):  # a tenth of a second's worth at once
        assert pace.wait() == 0.0
        pace.took()
    wait = pace.wait()
    assert 0.0 < wait <= 0.011
    time.sleep(wait)
    assert pace.wait() == 0.0
    assert Pace(0.0).wait() == 0.0  # no limit


def test_tls_only_for_mqtts_and_alpn_on_443() -> None:
    assert tls_context(EdgeConfig("mqtt://broker:1883")) is None
    context = tls_context(EdgeConfig("mqtts://broker:443"))
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED
