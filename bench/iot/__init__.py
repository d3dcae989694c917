"""IoT benchmark: Headwater's MQTT broker against Mosquitto and amqtt (python -m bench.iot)."""
