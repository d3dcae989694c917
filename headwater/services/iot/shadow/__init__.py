"""AWS IoT Device Shadow: classic and named shadows over MQTT and iot-data's REST API, one store
(`service.Shadows`)."""
