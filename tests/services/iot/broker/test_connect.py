"""CONNECT: identities (mTLS certificate, SigV4 signer, anonymous), client id rules, iot:Connect,
keep-alive as AWS holds it."""

from __future__ import annotations

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import MQTT_5, Properties
from headwater.services.iot.broker.context import V3_NOT_AUTHORIZED_AWS
from headwater.services.ports import MqttPeer
from tests.services.iot.broker.harness import ACCOUNT, ANONYMOUS, Certificates, Harness, Policy, arn, run

DER = b"\x30\x82device-one"


def test_mtls_peers_need_an_active_certificate() -> None:
    certs = Certificates()
    cert_id = certs.add(DER)
    certs.add(b"revoked", status="REVOKED")
    other_region = MqttPeer(
        "mtls", "10.1.1.1:4000", certificate_der=DER, server_name="abc-ats.iot.eu-west-1.localhost"
    )

    async def body(h: Harness) -> None:
        ok = await h.connect("thing1", peer=MqttPeer("mtls", "10.1.1.1:4000", certificate_der=DER))
        assert ok.session is not None and ok.connack.reason_code == 0
        assert ok.session.principal_id == cert_id
        assert ok.session.auth.principal_arn == certs.records[DER].arn
        for der in (b"revoked", b"unknown"):
            refused = await h.connect("thing2", peer=MqttPeer("mtls", "10.1.1.1:4001", certificate_der=der))
            assert refused.session is None and refused.connack.reason_code == V3_NOT_AUTHORIZED_AWS
        v5 = await h.connect("thing3", level=MQTT_5, peer=MqttPeer("mtls", "x:1", certificate_der=b"revoked"))
        assert v5.connack.reason_code == rc.NOT_AUTHORIZED
        sni = await h.connect("thing4", peer=other_region)  # the SNI host names the region
        assert sni.session is not None and (sni.session.ns.account, sni.session.ns.region) == (
            ACCOUNT,
            "eu-west-1",
        )

    run(body, certificates=certs)


def test_anonymous_peers_only_in_relaxed_mode() -> None:
    async def aws(h: Harness) -> None:
        c = await h.connect("anon", peer=ANONYMOUS)
        assert c.session is None and c.connack.reason_code == V3_NOT_AUTHORIZED_AWS

    async def relaxed(h: Harness) -> None:
        c = await h.connect("anon", peer=ANONYMOUS, keep_alive=5)
        assert c.session is not None and c.session.keep_alive == 5  # no clamping either

    run(aws)
    run(relaxed, mode="relaxed")


def test_client_id_rules() -> None:
    async def body(h: Harness) -> None:
        v5 = await h.connect("", level=MQTT_5)
        assigned = v5.connack.properties.assigned_client_identifier
        assert v5.session is not None and assigned and v5.session.client_id == assigned
        v3 = await h.connect("", clean=False)  # 3.1.1: an empty id needs a clean session
        assert v3.session is None and v3.connack.reason_code == rc.V3_IDENTIFIER_REJECTED
        assert (await h.connect("")).session is not None
        long = await h.connect("x" * 129, level=MQTT_5)
        assert long.connack.reason_code == rc.CLIENT_IDENTIFIER_NOT_VALID
        assert (await h.connect("x" * 128)).session is not None

    run(body)


def test_connect_is_authorized_for_the_client_arn() -> None:
    policy = Policy(denied={("iot:Connect", arn("client", "intruder"))})

    async def body(h: Harness) -> None:
        bad = await h.connect("intruder", level=MQTT_5)
        assert bad.session is None and bad.connack.reason_code == rc.NOT_AUTHORIZED
        good = await h.connect("device")
        assert good.session is not None
        assert ("iot:Connect", arn("client", "device"), "device") in policy.calls

    run(body, policy=policy)


def test_keep_alive_is_held_to_30_through_1200_seconds() -> None:
    async def body(h: Harness) -> None:
        for asked, held in [(10, 30), (0, 1200), (3000, 1200), (60, 60)]:
            c = await h.connect(f"k{asked}", level=MQTT_5, keep_alive=asked)
            assert c.session is not None and c.session.keep_alive == held
            assert c.connack.properties.server_keep_alive == (None if asked == held else held)
        v3 = await h.connect("k3", keep_alive=5)
        assert v3.session is not None and v3.session.keep_alive == 30
        assert v3.connack.properties == Properties()

    run(body)
