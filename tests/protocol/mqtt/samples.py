"""Packets of every type, with and without properties, for both protocol versions."""

from __future__ import annotations

from headwater.protocol.mqtt.packets import (
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    SubscriptionOptions,
    Unsuback,
    Unsubscribe,
    Will,
)

USER = [("k", "v"), ("k", "v2"), ("ünï", "çødé")]


def from_client(level: int) -> list[Packet]:
    """What a client sends, as a server decodes it (CONNECT first)."""
    v5 = level == 5
    p = Properties
    return [
        Connect(
            "client-1",
            protocol_level=level,
            clean_start=False,
            keep_alive=1200,
            username="user?SDK=Python",
            password=b"\x00secret\xff",
            will=Will(
                "last/will",
                b"gone",
                qos=1,
                retain=True,
                properties=p(
                    will_delay_interval=5,
                    message_expiry_interval=60,
                    content_type="text/plain",
                    response_topic="r/t",
                    correlation_data=b"c",
                    payload_format_indicator=1,
                    user_properties=USER,
                )
                if v5
                else p(),
            ),
            properties=p(
                session_expiry_interval=3600,
                receive_maximum=100,
                maximum_packet_size=131072,
                topic_alias_maximum=8,
                request_response_information=1,
                request_problem_information=0,
                authentication_method="m",
                authentication_data=b"d",
                user_properties=USER,
            )
            if v5
            else p(),
            protocol_name="MQIsdp" if level == 3 else "MQTT",
        ),
        Publish("a/b/c", b"payload", qos=0),
        Publish(
            "a/b",
            b"\x00" * 300,
            qos=1,
            retain=True,
            dup=True,
            packet_id=65535,
            properties=p(
                payload_format_indicator=0,
                message_expiry_interval=10,
                content_type="json",
                response_topic="resp",
                correlation_data=b"\x01\x02",
                user_properties=USER,
            )
            if v5
            else p(),
        ),
        Publish("$aws/things/t/shadow/update", b"", qos=2, packet_id=1),
        Puback(1),
        Puback(2, reason_code=0x10 if v5 else 0),
        Puback(
            3,
            reason_code=0x80 if v5 else 0,
            properties=p(reason_string="no", user_properties=USER) if v5 else p(),
        ),
        Pubrec(4, reason_code=0x10 if v5 else 0),
        Pubrel(5, reason_code=0x92 if v5 else 0),
        Pubcomp(6, properties=p(reason_string="ok") if v5 else p()),
        Subscribe(7, [("a/+/c", SubscriptionOptions(qos=1)), ("#", SubscriptionOptions(qos=0))]),
        Subscribe(
            8,
            [
                (
                    "$share/g/x/#",
                    SubscriptionOptions(qos=2, retain_as_published=v5, retain_handling=2 if v5 else 0),
                ),
                ("y", SubscriptionOptions(qos=1, no_local=v5, retain_handling=1 if v5 else 0)),
            ],
            properties=p(subscription_identifiers=[268_435_455], user_properties=USER) if v5 else p(),
        ),
        Unsubscribe(9, ["a/+/c", "#"], properties=p(user_properties=USER) if v5 else p()),
        Pingreq(),
        *(
            [Auth(0x19, p(authentication_method="m", authentication_data=b"x", reason_string="r"))]
            if v5
            else []
        ),
        Disconnect(
            reason_code=0x04 if v5 else 0,
            properties=p(session_expiry_interval=0, reason_string="bye") if v5 else p(),
        ),  # the last: nothing may follow a DISCONNECT
    ]


def from_server(level: int) -> list[Packet]:
    """What a server sends, as a client decodes it (CONNACK first)."""
    v5 = level == 5
    p = Properties
    return [
        Connack(
            session_present=True,
            reason_code=0,
            properties=p(
                session_expiry_interval=7200,
                receive_maximum=100,
                maximum_qos=1,
                retain_available=1,
                maximum_packet_size=149504,
                assigned_client_identifier="auto-1",
                topic_alias_maximum=8,
                reason_string="welcome",
                user_properties=USER,
                wildcard_subscription_available=1,
                subscription_identifier_available=0,
                shared_subscription_available=1,
                server_keep_alive=1200,
                response_information="ri",
                server_reference="other",
                authentication_method="m",
                authentication_data=b"d",
            )
            if v5
            else p(),
        ),
        Publish(
            "a/b",
            b"x" * 200,
            qos=1,
            packet_id=10,
            properties=p(subscription_identifiers=[1, 2, 16384], topic_alias=3) if v5 else p(),
        ),
        Puback(11, reason_code=0x97 if v5 else 0),
        Suback(
            12,
            [0, 1, 2, 0x80] + ([0x8F, 0x9E] if v5 else []),
            properties=p(reason_string="some", user_properties=USER) if v5 else p(),
        ),
        Unsuback(13, [0, 0x11] if v5 else [], properties=p(reason_string="u") if v5 else p()),
        Pingresp(),
        Disconnect(
            0x8E if v5 else 0, p(server_reference="elsewhere", reason_string="taken over") if v5 else p()
        ),
    ]
