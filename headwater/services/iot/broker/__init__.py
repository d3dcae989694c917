"""The MQTT broker: AWS IoT Core's message broker behind the device gateway's listener."""

from headwater.services.iot.broker.broker import Broker
from headwater.services.iot.broker.dataplane import DataPlane

__all__ = ["Broker", "DataPlane"]
