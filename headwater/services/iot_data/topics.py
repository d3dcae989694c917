"""The topic checks of the HTTP API itself: what an MQTT PUBLISH's topic name may not hold
(wildcards, U+0000; MQTT 3.1.1 §4.7.3, 5.0 §4.7.3), and an empty name. AWS IoT's own limits
(256 bytes, 7 slashes not counting `$aws/rules/<rule>/`, reserved `$aws/` topics) are the broker's:
it applies them to every publish, MQTT or HTTPS, through `IotDataPlane.publish`."""

from __future__ import annotations

from headwater.services.iot_data.errors import invalid_request


def check_publish_topic(topic: str, member: str = "topic") -> None:
    if not topic:
        raise invalid_request(f"The {member} must not be empty")
    if "+" in topic or "#" in topic:
        raise invalid_request(f"The {member} must not contain wildcard characters (+ or #): {topic}")
    if "\x00" in topic:
        raise invalid_request(f"The {member} must not contain the null character")
