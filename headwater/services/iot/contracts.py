"""The seams between the iot service's parts: the registry, certificates and policies, the authorizer
and the broker each implement or use these, never each other's internals.

  registry (things, groups)  --ThingDirectory-->  authorizer  <--PolicyDirectory--  policies
  certificates --CertificateDirectory--> broker (who connected) and the device TLS anchors
  broker --Authorizer--> every CONNECT/PUBLISH/SUBSCRIBE/delivery; --EventPublisher <- registry events
  broker --PublishTap--> rules and shadows: every accepted PUBLISH
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ThingInfo:
    name: str
    arn: str
    type_name: str | None
    attributes: dict[str, str]


class ThingDirectory(Protocol):
    """Offered by the thing registry."""

    def thing(self, account: str, region: str, name: str) -> ThingInfo | None: ...

    def things_of_principal(self, account: str, region: str, principal_arn: str) -> list[str]:
        """Names of the things a principal (certificate ARN, Cognito id...) is attached to."""
        ...

    def is_exclusively_attached(self, account: str, region: str, principal_arn: str, thing: str) -> bool:
        """True when the attachment is EXCLUSIVE_THING (the thing variables apply whatever the
        client id is); a non-exclusive attachment needs client id == thing name."""
        ...

    def groups_of_thing(self, account: str, region: str, thing: str) -> list[str]:
        """ARNs of the thing's static groups and all their ancestors (thing-group policies apply)."""
        ...


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    account: str
    region: str
    certificate_id: str  # 64 hex: SHA-256 of the DER
    arn: str
    status: str  # ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION
    der: bytes
    ca_certificate_id: str | None = None


class CertificateDirectory(Protocol):
    """Offered by the certificate store."""

    def by_der(self, der: bytes) -> CertificateRecord | None: ...

    def by_id(self, account: str, region: str, certificate_id: str) -> CertificateRecord | None: ...


@runtime_checkable
class CertificateRegistrar(Protocol):
    """Offered by the certificate store beside `CertificateDirectory`: just-in-time registration."""

    async def auto_register(self, der: bytes) -> CertificateRecord | None:
        """A certificate the TLS handshake verified and `by_der` does not know: registered as
        PENDING_ACTIVATION when a CA with auto-registration signed it (None otherwise)."""
        ...


class ResourceTags(Protocol):
    """Offered by the registry's tag store (one store for every `iot` ARN's tags): other parts write
    the tags given at creation and drop them on deletion."""

    async def put(self, arn: str, tags: Mapping[str, str]) -> None: ...

    async def drop(self, arn: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    name: str
    arn: str
    document: str  # the default version's JSON text
    version_id: str
    via: str  # the target it is attached to (a certificate ARN or a thing-group ARN)


class PolicyDirectory(Protocol):
    """Offered by the policy store."""

    def attached(self, account: str, region: str, target_arns: Sequence[str]) -> list[AttachedPolicy]:
        """The default versions of the policies attached to any of these targets, each once."""
        ...


@dataclass(frozen=True, slots=True)
class AuthContext:
    """What a data-plane request is evaluated with: the caller and the connection."""

    account: str
    region: str
    client_id: str | None
    principal_arn: str | None  # the certificate's ARN (mTLS); None for SigV4 callers
    certificate_der: bytes | None = None
    source_ip: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # e.g. iot:Topic for Receive conditions


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    # the statement that decided, for the explain view: policy name, version, statement index and its
    # text; None when nothing matched (implicit deny)
    policy: str | None = None
    policy_version: str | None = None
    statement_index: int | None = None
    statement: str | None = None
    reason: str = ""  # "explicit deny", "allowed", "no statement allows"


class Authorizer(Protocol):
    def authorize(self, context: AuthContext, action: str, resource: str) -> Decision:
        """`action` like "iot:Publish"; `resource` the full ARN (…:topic/a/b, …:client/id)."""
        ...


class EventPublisher(Protocol):
    """Offered by the broker: publishes a server-generated message ($aws/events/... topics)."""

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None: ...


@dataclass(slots=True)  # (read-only by contract; not frozen: that __init__ costs 2 us per message)
class InboundPublish:
    """An accepted PUBLISH as the parts beside the broker see it (rules, shadows). Receivers treat
    it as read-only: every tap sees the same one."""

    account: str
    region: str
    topic: str  # as published: Basic Ingest keeps its `$aws/rules/<rule>/` prefix
    payload: bytes
    qos: int
    retain: bool
    client_id: str | None  # None for HTTPS publishes and server-made messages
    principal: str | None  # the certificate id or the SigV4 access key; None when anonymous/server-made
    timestamp_ms: int
    properties: Any = None  # the forwarded MQTT 5 properties (protocol.mqtt.packets.Properties) or None


class Backpressure:
    """A tap's answer that is a wait for room, not a store (a full bounded queue): the broker stops
    reading the publisher until it completes, as for a subscriber that is behind. A plain awaitable
    only holds the PUBACK while the publisher's next messages are read."""

    __slots__ = ("wait",)

    def __init__(self, wait: Awaitable[None]) -> None:
        self.wait = wait

    def __await__(self) -> Generator[Any, None, None]:
        return self.wait.__await__()


class PublishTap(Protocol):
    """Offered to the broker (`Broker.taps`): sees every accepted PUBLISH, from MQTT, HTTPS and the
    server itself, Basic Ingest included, after authorization."""

    def published(self, message: InboundPublish) -> Awaitable[None] | None:
        """An awaitable holds a QoS 1 PUBACK until it completes (a rule's durable outbox write);
        a `Backpressure` also stops the publisher being read meanwhile."""
        ...
