"""The iot service's parts, built together and started in order.

Each part owns its state and lifecycle; they meet only through `contracts.py` (the registry gives
the authorizer things and groups, the policy store gives it documents, the certificate store tells
the broker who connected, the broker publishes registry and lifecycle events).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable
from typing import Any

from headwater.protocol.mqtt.packets import Properties
from headwater.services.base import Host, Lifecycle
from headwater.services.iot.authz.documents import policy_problem
from headwater.services.iot.authz.part import Authz
from headwater.services.iot.bridge.bridge import EdgeBridge
from headwater.services.iot.bridge.kinesis_forward import KinesisForward
from headwater.services.iot.broker import Broker
from headwater.services.iot.broker import metrics as broker_metrics
from headwater.services.iot.broker.message import Message, forwarded
from headwater.services.iot.broker.topics import RULES_PREFIX, topic_name_error
from headwater.services.iot.contracts import ThingDirectory
from headwater.services.iot.registry.part import build_registry
from headwater.services.iot.rules.part import RulesPart
from headwater.services.iot.security.part import SecurityPart
from headwater.services.iot.shadow.service import Shadows
from headwater.services.ports import DeliveryError, ShadowError


class IotCore:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = host.config
        self.clock = host.clock
        # parts in start order (closed in reverse); each part appends itself when built below
        self.parts: list[Lifecycle] = []
        # the thing registry; `registry.publisher` (EventPublisher) and `registry.principal_exists`
        # are wired once the broker and the certificate store are built
        self.registry, registry_directory = build_registry(host.engine.meta, host.engine.ordered, host.clock)
        self.things: ThingDirectory = registry_directory
        self.directory = registry_directory
        self.parts.append(self.registry)
        # certificates, CA certificates, policies, the local CA and the device TLS material
        self.security = SecurityPart(host.config, host.engine.meta, host.engine.ordered, host.clock)
        self.parts.append(self.security)
        # the policy engine (the broker's Authorizer is `self.authz.engine`) over the registry, the
        # policy store and the certificates; CreatePolicy(Version) checks documents with its parser
        self.authz = Authz(self.things, self.security, self.security, now=self.clock.now)
        self.security.policy_check = policy_problem
        self.parts.append(self.authz)
        # the MQTT broker: who connected (the certificate store), what they may do (the policy engine:
        # certificates' policies; SigV4 signers are IAM's to authorize and are not checked against them)
        self.broker = Broker(
            host.engine,
            host.clock,
            mode=host.config.iot_mode,
            session_expiry=host.config.iot_session_expiry,
            replay_rate=host.config.iot_replay_rate,
            default_account=host.config.account_id,
            default_region=host.config.region,
            authorizer=self.authz.engine,
            certificates=self.security,
        )
        self.parts.append(self.broker)
        # the rules engine: a tap on the broker, actions into the other services through their ports
        self.rules = RulesPart(host, self._republish)
        self.parts.append(self.rules)
        # Device Shadow: a tap on the broker for MQTT requests, the ShadowStore port for iot-data
        self.shadows = Shadows(host.engine.ordered, host.clock, host.config.iot_shadow_history)
        self.parts.append(self.shadows)
        # edge mode: the store-and-forward bridge to an upstream, a tap on the broker
        self.edge: EdgeBridge | None = None
        if host.config.edge is not None:
            self.edge = EdgeBridge(
                host.config.edge,
                self.broker,
                host.engine.queues,
                host.clock,
                host.metrics,
                host.config.account_id,
                host.config.region,
                shadows=self.shadows,
            )
            self.broker.taps.append(self.edge)
            self.parts.append(self.edge)
            if host.config.edge.kinesis:  # local Kinesis streams forwarded to the upstream's Kinesis API
                self.edge.kinesis = KinesisForward(
                    host.config.edge,
                    host.engine.meta,
                    host.ports,
                    host.clock,
                    host.metrics,
                    host.config.account_id,
                    host.config.region,
                )
                self.parts.append(self.edge.kinesis)
        host.metrics.collectors.append(broker_metrics.collector(lambda: self.broker.ctx.counters))
        self._wire()

    def _wire(self) -> None:
        """The hooks between parts, set once all are built."""
        registry, security, broker = self.registry, self.security, self.broker
        registry.publisher = broker  # registry events on $aws/events/...
        registry.principal_exists = self._principal_exists
        security.on_revoked = broker.certificate_revoked  # live connections of a revoked certificate end
        security.things = self.things  # a certificate attached to things cannot be deleted
        security.parent_groups = self.directory.parent_groups
        security.events = broker  # just-in-time registration events
        security.tags = registry.tags  # CreatePolicy/RegisterCACertificate tags, dropped on delete
        broker.taps.append(self.rules.runtime)  # every accepted PUBLISH runs the matching rules
        self.rules.tags = registry.tags  # CreateTopicRule's tags; rules are taggable by ARN
        registry.tags.register(
            "rule", lambda account, region, name: bool(self.rules.store.get(account, region, name))
        )
        self.shadows.publisher = broker  # shadow answers, deltas and documents
        broker.taps.append(self.shadows)
        self.rules.runtime.env.get_thing_shadow = self._thing_shadow  # IoT SQL's get_thing_shadow()
        for kind in ("cert", "cacert", "policy"):
            registry.tags.register(kind, functools.partial(self._security_resource_exists, kind))

    async def _republish(
        self, account: str, region: str, topic: str, payload: bytes, qos: int, properties: Properties | None
    ) -> None:
        """A rule's republish action: a server-made message at the rule's QoS and MQTT 5 headers."""
        if topic_name_error(topic, self.broker.ctx.aws) is not None:
            raise DeliveryError(
                "InvalidRequestException", f"{topic} is not a topic a message can be published to"
            )
        props, expires = forwarded(properties, self.clock.now())
        message = Message(topic, payload, qos, False, props, expires, None, self.clock.now_ms())
        waits: list[Awaitable[None]] = self.broker.publish(
            self.broker.namespace(account, region), message, route=not topic.startswith(RULES_PREFIX)
        )
        for wait in waits:
            await wait

    def _thing_shadow(self, account: str, region: str, thing: str, name: str | None, role_arn: str) -> Any:
        try:
            return json.loads(self.shadows.get(account, region, thing, name))
        except ShadowError:
            return None  # no such shadow: the function's value is Undefined

    def _principal_exists(self, account: str, region: str, arn: str) -> bool:
        if arn.startswith(f"arn:aws:iot:{region}:{account}:cert/"):
            return self.security.by_id(account, region, arn.rpartition("/")[2]) is not None
        return True  # Cognito identities and other principals are not Headwater's to check

    def _security_resource_exists(self, kind: str, account: str, region: str, name: str) -> bool:
        return self.security.resource_exists(account, region, name, kind)

    async def start(self) -> None:
        for part in self.parts:
            await part.start()

    async def close(self) -> None:
        for part in reversed(self.parts):
            await part.close()

    async def reset(self) -> None:
        for part in self.parts:
            await part.reset()
