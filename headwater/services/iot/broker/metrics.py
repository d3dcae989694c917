"""The broker's counters in Headwater's metrics (`/_headwater/metrics`), read when they are rendered:
the hot path only bumps plain ints on `BrokerContext.counters`."""

from __future__ import annotations

from collections.abc import Callable

from headwater.runtime.metrics import Metrics
from headwater.services.iot.broker.context import Counters

NS = "Iot"  # (not "IoT": the Prometheus name would read aws_io_t_...)
# CloudWatch-style name -> the counter's field
COUNTERS = {
    "Broker.Routed": "routed",
    "Broker.Qos0DroppedSlowConsumer": "qos0_dropped_slow",
    "Broker.Qos0Held": "qos0_held",
    "Broker.Qos1Backpressure": "qos1_backpressure",
    "Broker.SlowConsumersDisconnected": "slow_consumers_disconnected",
    "Broker.ExpiredDropped": "expired_dropped",
    "Broker.Throttled": "throttled",
}


def collector(counters: Callable[[], Counters]) -> Callable[[Metrics], None]:
    """A metrics collector over the broker's current counters (`counters` is called each time: a
    reset may replace them)."""

    def collect(metrics: Metrics) -> None:
        current = counters()
        for name, attribute in COUNTERS.items():
            value = getattr(current, attribute)
            if value:  # a counter appears once it counted something, as the others do (a reset clears it)
                metrics.counters[NS, name] = {(): float(value)}
            else:
                metrics.counters.pop((NS, name), None)

    return collect
