"""The iot service's parts, built together and started in order.

Each part owns its state and lifecycle; they meet only through `contracts.py` (the registry gives
the authorizer things and groups, the policy store gives it documents, the certificate store tells
the broker who connected, the broker publishes registry and lifecycle events).
"""

from __future__ import annotations

import functools

from headwater.services.base import Host, Lifecycle
from headwater.services.iot.authz.documents import policy_problem
from headwater.services.iot.authz.part import Authz
from headwater.services.iot.broker import Broker
from headwater.services.iot.broker import metrics as broker_metrics
from headwater.services.iot.contracts import ThingDirectory
from headwater.services.iot.registry.part import build_registry
from headwater.services.iot.security.part import SecurityPart


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
            default_account=host.config.account_id,
            default_region=host.config.region,
            authorizer=self.authz.engine,
            certificates=self.security,
        )
        self.parts.append(self.broker)
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
        for kind in ("cert", "cacert", "policy"):
            registry.tags.register(kind, functools.partial(self._security_resource_exists, kind))

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
