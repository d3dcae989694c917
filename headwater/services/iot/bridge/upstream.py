"""How the edge bridge reaches its upstream: the TLS context of an `mqtts://` URL and the pace of its
PUBLISHes."""

from __future__ import annotations

import ssl
import time
from urllib.parse import urlsplit

from headwater.config import EdgeConfig

ALPN_MQTT = "x-amzn-mqtt-ca"  # AWS IoT's MQTT over port 443


def tls_context(config: EdgeConfig) -> ssl.SSLContext | None:
    """The client TLS context for mqtts:// (None for plain mqtt://)."""
    url = urlsplit(config.upstream)
    if url.scheme != "mqtts":
        return None
    context = ssl.create_default_context(cafile=str(config.ca) if config.ca else None)
    if config.cert is not None:
        context.load_cert_chain(str(config.cert), str(config.key) if config.key else None)
    if url.port == 443:
        context.set_alpn_protocols([ALPN_MQTT])
    return context


class Pace:
    """A token bucket of a tenth of a second's worth: at most `rate` PUBLISHes a second, in small
    bursts (a burst the size of AWS's whole bucket could meet it half empty)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.tokens = self.capacity
        self.at = time.monotonic()

    def wait(self) -> float:
        """Seconds until a PUBLISH may go (0: now)."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def took(self) -> None:
        if self.rate:
            self.tokens -= 1.0
