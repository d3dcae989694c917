"""CONNECT: who the peer is, the client id, iot:Connect, keep-alive, takeover, session resume.

Identity: an mTLS peer is its certificate (`CertificateDirectory.by_der`, which must be ACTIVE; its
registration gives the account and region, the SNI host `...iot.<region>...` may name the region);
a SigV4 peer (wss, https) is its signer; a plain-TCP peer is anonymous, accepted in relaxed mode
only. Refusals: MQTT 5 reason codes (0x87 when iot:Connect is denied); a 3.1.1 client AWS IoT does
not authorize gets no CONNACK at all in AWS mode: the connection is closed (what the Device SDKs
report as AWS_ERROR_MQTT_UNEXPECTED_HANGUP); relaxed mode answers return code 5.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import dataclass

from headwater.protocol.mqtt import reason_codes as rc
from headwater.protocol.mqtt.packets import MQTT_5, Connack, Connect, Properties, Will
from headwater.services.iot.broker.connection import Connection
from headwater.services.iot.broker.context import (
    AWS_IN_FLIGHT,
    KEEP_ALIVE_MAX,
    KEEP_ALIVE_MIN,
    MAX_CLIENT_ID,
    RELAXED_IN_FLIGHT,
    BrokerContext,
    arn,
)
from headwater.services.iot.broker.namespace import Hub
from headwater.services.iot.broker.topics import topic_name_error
from headwater.services.iot.contracts import AuthContext, CertificateRegistrar
from headwater.services.ports import MqttOutlet, MqttPeer

_SNI_REGION = re.compile(r"\.iot\.([a-z]{2}(?:-[a-z]+)+-\d)\.")
NEVER = 0xFFFFFFFF  # MQTT 5 session expiry: the session never expires


@dataclass(frozen=True, slots=True)
class Identity:
    account: str
    region: str
    principal_arn: str | None  # the certificate's ARN (policies attach to it)
    principal_id: str  # lifecycle events' principalIdentifier: the certificate id, the access key
    certificate_der: bytes | None


class Refused(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def identify(ctx: BrokerContext, peer: MqttPeer) -> Identity:
    sni = _SNI_REGION.search(peer.server_name or "")
    region_hint = sni.group(1) if sni else None
    der = peer.certificate_der
    if der is not None:
        if ctx.certificates is None:  # no certificate store wired: the peer's own account
            digest = hashlib.sha256(der).hexdigest()
            account = peer.account or ctx.default_account
            region = region_hint or peer.region or ctx.default_region
            return Identity(account, region, arn(region, account, "cert", digest), digest, der)
        record = ctx.certificates.by_der(der)
        if record is None or record.status != "ACTIVE":
            raise Refused(rc.NOT_AUTHORIZED)
        return Identity(record.account, region_hint or record.region, record.arn, record.certificate_id, der)
    if peer.transport in ("wss", "https") and peer.access_key:
        account = peer.account or ctx.default_account
        return Identity(
            account, peer.region or region_hint or ctx.default_region, None, peer.access_key, None
        )
    if ctx.aws:  # plain TCP and no credentials: relaxed mode only
        raise Refused(rc.NOT_AUTHORIZED)
    account = peer.account or ctx.default_account
    return Identity(account, peer.region or region_hint or ctx.default_region, None, "anonymous", None)


async def register_unknown(ctx: BrokerContext, peer: MqttPeer) -> None:
    """Just-in-time registration: a certificate the handshake verified (its CA is a trust anchor) that
    no registration knows is offered to the certificate store, which registers it as
    PENDING_ACTIVATION when its CA has auto-registration on; `identify` refuses it either way."""
    der, store = peer.certificate_der, ctx.certificates
    if der is None or not isinstance(store, CertificateRegistrar) or store.by_der(der) is not None:
        return
    await store.auto_register(der)


def v3_code(ctx: BrokerContext, code: int) -> int:
    if code == rc.NOT_AUTHORIZED:  # AWS mode writes none (connect() above)
        return rc.V3_NOT_AUTHORIZED
    if code == rc.CLIENT_IDENTIFIER_NOT_VALID:
        return rc.V3_IDENTIFIER_REJECTED
    if code == rc.BAD_USER_NAME_OR_PASSWORD:
        return rc.V3_BAD_USER_NAME_OR_PASSWORD
    if code == rc.UNSUPPORTED_PROTOCOL_VERSION:
        return rc.V3_UNACCEPTABLE_PROTOCOL_VERSION
    return rc.V3_SERVER_UNAVAILABLE


def keep_alive(ctx: BrokerContext, asked: int) -> int:
    """AWS IoT holds keep-alive to 30-1200 s (0, no keep-alive, gets the maximum)."""
    if not ctx.aws:
        return asked
    if asked == 0:
        return KEEP_ALIVE_MAX
    return min(KEEP_ALIVE_MAX, max(KEEP_ALIVE_MIN, asked))


def session_expiry(broker: Hub, packet: Connect) -> float:
    if packet.protocol_level != MQTT_5:
        return 0.0 if packet.clean_start else broker.ctx.session_expiry
    asked = packet.properties.session_expiry_interval or 0
    return broker.capped_expiry(asked)


async def connect(broker: Hub, packet: Connect, peer: MqttPeer, outlet: MqttOutlet) -> Connection | None:
    ctx = broker.ctx
    v5 = outlet.protocol_level == MQTT_5
    await register_unknown(ctx, peer)
    try:
        who = identify(ctx, peer)
        client_id, assigned = _client_id(ctx, packet, v5)
        auth = AuthContext(
            who.account, who.region, client_id, who.principal_arn, who.certificate_der, _ip(peer)
        )
        if not ctx.allowed(auth, "iot:Connect", arn(who.region, who.account, "client", client_id)):
            raise Refused(rc.NOT_AUTHORIZED)
        will = _will(ctx, packet.will, v5)
    except Refused as refused:
        if v5:
            outlet.write(Connack(False, refused.code))
        elif not (ctx.aws and refused.code == rc.NOT_AUTHORIZED):
            outlet.write(Connack(False, v3_code(ctx, refused.code)))
        return None
    expiry = session_expiry(broker, packet)
    held = keep_alive(ctx, packet.keep_alive)
    ns = broker.namespace(who.account, who.region)
    state, present = await broker.attach(ns, client_id, packet.clean_start, expiry, auth)
    receive_max = packet.properties.receive_maximum if v5 else None
    limit = AWS_IN_FLIGHT if ctx.aws else RELAXED_IN_FLIGHT
    window = min(limit, receive_max) if receive_max else limit
    conn = Connection(
        broker, ns, state, outlet, peer, auth, who.principal_id, uuid.uuid4().hex, held, window, will
    )
    props = Properties()
    if v5:
        if assigned:
            props.assigned_client_identifier = client_id
        if held != packet.keep_alive:
            props.server_keep_alive = held
        asked = packet.properties.session_expiry_interval or 0
        if expiry != (math.inf if asked == NEVER else asked):
            props.session_expiry_interval = NEVER if expiry == math.inf else int(expiry)
        if ctx.aws:
            props.receive_maximum = AWS_IN_FLIGHT
            props.maximum_qos = 1
            props.topic_alias_maximum = 8
        props.retain_available = 1
        props.wildcard_subscription_available = 1
        props.subscription_identifier_available = 0
        props.shared_subscription_available = 1
    outlet.write(Connack(present, rc.SUCCESS, props))
    state.connection = conn
    state.outbound.resume(conn)
    broker.connected(conn)
    return conn


def _client_id(ctx: BrokerContext, packet: Connect, v5: bool) -> tuple[str, bool]:
    client_id = packet.client_id
    if not client_id:
        if not v5 and not packet.clean_start:  # 3.1.1: an empty id needs a clean session
            raise Refused(rc.CLIENT_IDENTIFIER_NOT_VALID)
        return "hw-" + uuid.uuid4().hex, True
    if ctx.aws and len(client_id.encode()) > MAX_CLIENT_ID:
        raise Refused(rc.CLIENT_IDENTIFIER_NOT_VALID)
    return client_id, False


def _will(ctx: BrokerContext, will: Will | None, v5: bool) -> Will | None:
    if will is None:
        return None
    if topic_name_error(will.topic, ctx.aws) is not None:
        raise Refused(rc.TOPIC_NAME_INVALID)
    if will.qos == 2:
        if ctx.aws and v5:
            raise Refused(rc.QOS_NOT_SUPPORTED)
        will = Will(will.topic, will.payload, 1, will.retain, will.properties)
    return will


def _ip(peer: MqttPeer) -> str:
    host, _, _ = peer.remote_address.rpartition(":")
    return host.strip("[]") or peer.remote_address
