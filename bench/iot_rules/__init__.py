"""IoT rules, shadow and publish-to-Kinesis benchmark (`python -m bench.iot_rules`)."""
