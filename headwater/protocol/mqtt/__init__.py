"""MQTT 3.1.1 and 5, sans-IO: the packet values, the codec and the connection state machine."""
