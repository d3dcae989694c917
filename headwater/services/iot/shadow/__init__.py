"""AWS IoT Device Shadow: classic and named shadows over MQTT and iot-data's REST API, one store."""

from headwater.services.iot.shadow.service import Shadows

__all__ = ["Shadows"]
