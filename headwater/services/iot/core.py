"""The iot service's parts, built together and started in order.

Each part owns its state and lifecycle; they meet only through `contracts.py` (the registry gives
the authorizer things and groups, the policy store gives it documents, the certificate store tells
the broker who connected, the broker publishes registry and lifecycle events).
"""

from __future__ import annotations

from headwater.services.base import Host, Lifecycle
from headwater.services.iot.authz.documents import policy_problem
from headwater.services.iot.authz.part import Authz
from headwater.services.iot.broker import Broker
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
        self.parts.append(self.registry)
        # certificates, CA certificates, policies, the local CA and the device TLS material
        self.security = SecurityPart(host.config, host.engine.meta, host.engine.ordered, host.clock)
        self.parts.append(self.security)
        # the policy engine (the broker's Authorizer is `self.authz.engine`) over the registry, the
        # policy store and the certificates; CreatePolicy(Version) checks documents with its parser
        self.authz = Authz(self.things, self.security, self.security, now=self.clock.now)
        self.security.policy_check = policy_problem
        self.parts.append(self.authz)
        # the MQTT broker: who connected (the certificate store). The policy engine joins as its
        # `authorizer` once the broker leaves it out for peers without a certificate (SigV4 signers,
        # whom AWS authorizes with IAM; relaxed mode's anonymous clients): today it denies them.
        self.broker = Broker(
            host.engine,
            host.clock,
            mode=host.config.iot_mode,
            session_expiry=host.config.iot_session_expiry,
            default_account=host.config.account_id,
            default_region=host.config.region,
            certificates=self.security,
        )
        self.parts.append(self.broker)

    async def start(self) -> None:
        for part in self.parts:
            await part.start()

    async def close(self) -> None:
        for part in reversed(self.parts):
            await part.close()

    async def reset(self) -> None:
        for part in self.parts:
            await part.reset()
