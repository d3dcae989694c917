"""AWS IoT Core: the thing registry, certificates and policies (the `iot` API), the policy engine,
and the MQTT broker the device gateway's listener hands its connections to."""
