"""The iot service's parts, built together and started in order.

Each part owns its state and lifecycle; they meet only through `contracts.py` (the registry gives
the authorizer things and groups, the policy store gives it documents, the certificate store tells
the broker who connected, the broker publishes registry and lifecycle events).
"""

from __future__ import annotations

from headwater.services.base import Host, Lifecycle
from headwater.services.iot.authz.part import Authz, NoPolicies, NoThings
from headwater.services.iot.broker import Broker
from headwater.services.iot.security.part import SecurityPart


class IotCore:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = host.config
        self.clock = host.clock
        # parts in start order (closed in reverse); each part appends itself when built below
        self.parts: list[Lifecycle] = []
        # certificates, CA certificates, policies, the local CA and the device TLS material
        self.security = SecurityPart(host.config, host.engine.meta, host.engine.ordered, host.clock)
        self.parts.append(self.security)
        # the policy engine (the broker's Authorizer is `self.authz.engine`): built after the registry and
        # the policy store, over them (NoThings/NoPolicies stand in until those parts are wired here;
        # pass the certificate store third so TestAuthorization checks certificates and reads their DER)
        self.authz = Authz(NoThings(), NoPolicies(), now=self.clock.now)
        self.parts.append(self.authz)
        # the MQTT broker (the authorizer and certificate store join its arguments when they land)
        self.broker = Broker(
            host.engine,
            host.clock,
            mode=host.config.iot_mode,
            session_expiry=host.config.iot_session_expiry,
            default_account=host.config.account_id,
            default_region=host.config.region,
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
