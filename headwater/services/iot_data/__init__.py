"""The AWS IoT data plane (botocore's `iot-data` model, REST-JSON): HTTPS publish, retained
messages and connections, served through the broker's `IotDataPlane` port."""
