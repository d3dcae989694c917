"""The MQTT control packets of versions 3.1.1 (protocol level 4) and 5 (level 5) as plain values.

One dataclass per packet type, shared by both versions: fields a version lacks keep their defaults
(a 3.1.1 packet has empty `Properties`; a 3.1.1 CONNACK's `reason_code` is its return code 0-5; a
3.1.1 SUBACK's codes are 0, 1, 2 or 0x80). The codec (`decoder.py`, `encoder.py`, driven by
`connection.py`) turns bytes into these and back; the broker and the listeners only ever see these
values. Version 3.1 (level 3, "MQIsdp") is
decoded too, as brokers do, and answered like 3.1.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Packet type numbers (the high nibble of the fixed header)
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

MQTT_311 = 4
MQTT_5 = 5


@dataclass(slots=True)
class Properties:
    """MQTT 5 properties; None (or empty) = absent. Which ones a packet may carry is the codec's check."""

    payload_format_indicator: int | None = None  # 0x01
    message_expiry_interval: int | None = None  # 0x02
    content_type: str | None = None  # 0x03
    response_topic: str | None = None  # 0x08
    correlation_data: bytes | None = None  # 0x09
    subscription_identifiers: list[int] = field(default_factory=list)  # 0x0B
    session_expiry_interval: int | None = None  # 0x11
    assigned_client_identifier: str | None = None  # 0x12
    server_keep_alive: int | None = None  # 0x13
    authentication_method: str | None = None  # 0x15
    authentication_data: bytes | None = None  # 0x16
    request_problem_information: int | None = None  # 0x17
    will_delay_interval: int | None = None  # 0x18
    request_response_information: int | None = None  # 0x19
    response_information: str | None = None  # 0x1A
    server_reference: str | None = None  # 0x1C
    reason_string: str | None = None  # 0x1F
    receive_maximum: int | None = None  # 0x21
    topic_alias_maximum: int | None = None  # 0x22
    topic_alias: int | None = None  # 0x23
    maximum_qos: int | None = None  # 0x24
    retain_available: int | None = None  # 0x25
    user_properties: list[tuple[str, str]] = field(default_factory=list)  # 0x26, in order, repeats kept
    maximum_packet_size: int | None = None  # 0x27
    wildcard_subscription_available: int | None = None  # 0x28
    subscription_identifier_available: int | None = None  # 0x29
    shared_subscription_available: int | None = None  # 0x2A


# One empty Properties for the hot paths (a PUBLISH or PUBACK carrying none): building one costs
# more than the rest of a small packet. Read-only by convention: whoever holds a packet treats its
# properties as read-only (the codec only ever clears a topic alias, which this one has not), and
# the encoder knows it is empty by its identity.
NO_PROPERTIES = Properties()


@dataclass(slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Connect:
    client_id: str
    protocol_level: int = MQTT_311  # 3, 4 or 5
    clean_start: bool = True  # cleanSession in 3.1.1
    keep_alive: int = 0  # seconds
    username: str | None = None
    password: bytes | None = None
    will: Will | None = None
    properties: Properties = field(default_factory=Properties)
    protocol_name: str = "MQTT"  # "MQIsdp" for level 3


@dataclass(slots=True)
class Connack:
    session_present: bool = False
    reason_code: int = 0  # 3.1.1: the return code (0-5); 5: a reason code
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Publish:
    topic: str  # may be "" in MQTT 5 when properties.topic_alias names an established alias
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int | None = None  # set exactly when qos > 0
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Puback:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Pubrec:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Pubrel:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Pubcomp:
    packet_id: int
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class SubscriptionOptions:
    qos: int = 0  # the maximum QoS asked for
    no_local: bool = False  # MQTT 5
    retain_as_published: bool = False  # MQTT 5
    retain_handling: int = 0  # MQTT 5: 0 send retained, 1 only on a new subscription, 2 never


@dataclass(slots=True)
class Subscribe:
    packet_id: int
    subscriptions: list[tuple[str, SubscriptionOptions]]
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Suback:
    packet_id: int
    reason_codes: list[int]  # granted QoS (0-2) or a failure code (0x80 and, in 5, others)
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Unsubscribe:
    packet_id: int
    topic_filters: list[str]
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Unsuback:
    packet_id: int
    reason_codes: list[int] = field(default_factory=list)  # MQTT 5 only (3.1.1 has none)
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Pingreq:
    pass


@dataclass(slots=True)
class Pingresp:
    pass


@dataclass(slots=True)
class Disconnect:
    reason_code: int = 0  # MQTT 5 (3.1.1's DISCONNECT has none)
    properties: Properties = field(default_factory=Properties)


@dataclass(slots=True)
class Auth:
    reason_code: int = 0
    properties: Properties = field(default_factory=Properties)


Packet = (
    Connect
    | Connack
    | Publish
    | Puback
    | Pubrec
    | Pubrel
    | Pubcomp
    | Subscribe
    | Suback
    | Unsubscribe
    | Unsuback
    | Pingreq
    | Pingresp
    | Disconnect
    | Auth
)


class MqttProtocolError(Exception):
    """The peer broke the protocol: the connection ends with `reason_code` (MQTT 5's DISCONNECT or
    CONNACK code: 0x81 malformed packet, 0x82 protocol error, 0x95 packet too large...; a 3.1.1 peer
    is simply disconnected, or, for a bad CONNECT, sent the CONNACK return code `connack_code`)."""

    def __init__(self, reason_code: int, message: str, connack_code: int | None = None) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.connack_code = connack_code
