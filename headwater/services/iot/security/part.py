"""The security part of the iot service: its state, its lifecycle, and the seams it offers.

It implements `CertificateDirectory` and `PolicyDirectory` (contracts.py) for the broker and the
authorizer, and `DeviceTrust` (services/ports/iot.py) for the device gateway's TLS. Hooks the core wires after
building the other parts (None until then):
- `on_revoked(record)`: a certificate left ACTIVE (INACTIVE, REVOKED, transferred or deleted); the
  broker drops the connections made with it.
- `things`: the registry's `ThingDirectory` (a certificate attached to things cannot be deleted).
- `parent_groups(account, region, group_arn)`: a thing group's ancestors' ARNs, nearest first
  (ListAttachedPolicies with recursive=true).
- `policy_check(document)`: the policy engine's full check of a document, run after the part's
  own (`documents.py`); returns why it is malformed, or None.
- `events`: the broker's `EventPublisher` (just-in-time registration's registered events).
- `tags`: the registry's tag store (`ResourceTags`): the `tags` of CreatePolicy and
  RegisterCACertificate land there, deletions drop them (TagResource & co. work on the same rows).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from headwater.config import Config
from headwater.engine.api import MetaStore, OrderedStore
from headwater.runtime.clock import SystemClock
from headwater.services.base import local_name
from headwater.services.iot.contracts import (
    AttachedPolicy,
    CertificateRecord,
    EventPublisher,
    ResourceTags,
    ThingDirectory,
)
from headwater.services.iot.security import endpoints, jitr, parsing
from headwater.services.iot.security.authority import Authority, ServerMaterial
from headwater.services.iot.security.cert_store import CertificateStore, Doc
from headwater.services.iot.security.policy_store import PolicyStore
from headwater.services.ports import DeviceTlsMaterial

log = logging.getLogger("headwater.iot")
AUTHORITY = "iot.authority"
AUTHORITY_KEY = "chain"


def record_of(doc: Doc, der: bytes | None = None) -> CertificateRecord:
    if der is None:
        der = x509.load_pem_x509_certificate(doc["certificatePem"].encode()).public_bytes(Encoding.DER)
    return CertificateRecord(
        account=doc["account"],
        region=doc["region"],
        certificate_id=doc["certificateId"],
        arn=doc["certificateArn"],
        status=doc["status"],
        der=der,
        ca_certificate_id=doc.get("caCertificateId"),
    )


class SecurityPart:
    def __init__(self, config: Config, meta: MetaStore, ordered: OrderedStore, clock: SystemClock) -> None:
        self.config = config
        self.meta = meta
        self.clock = clock
        self.certificates = CertificateStore(meta, ordered)
        self.policies = PolicyStore(meta)
        self.authority: Authority | None = None
        self.server: ServerMaterial | None = None
        self.subdomains = False  # whether <x>.localhost resolves here (DescribeEndpoint)
        self.generation = 0
        self._material: DeviceTlsMaterial | None = None
        self.on_revoked: Callable[[CertificateRecord], None] | None = None
        self.things: ThingDirectory | None = None
        self.parent_groups: Callable[[str, str, str], list[str]] | None = None
        self.policy_check: Callable[[str], str | None] | None = None
        self.events: EventPublisher | None = None
        self.tags: ResourceTags | None = None

    def resource_exists(self, account: str, region: str, name: str, kind: str = "") -> bool:
        """Whether a certificate, CA certificate or policy (`kind`: cert, cacert, policy) exists:
        the registry's tag store asks before it tags one."""
        if kind == "cert":
            return self.certificates.get(account, region, name) is not None
        if kind == "cacert":
            return self.certificates.ca(account, region, name) is not None
        if kind == "policy":
            return self.policies.get(account, region, name) is not None
        return False

    async def tag(self, arn: str, tags: list[dict[str, Any]] | None) -> None:
        """The tags a create call gave (`[{"Key": k, "Value": v}]`), into the registry's tag store."""
        if tags and self.tags is not None:
            await self.tags.put(arn, {tag["Key"]: tag.get("Value") or "" for tag in tags})

    async def untag(self, arn: str) -> None:
        if self.tags is not None:
            await self.tags.drop(arn)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self.certificates.load()
        self.policies.load()
        await self._authority()
        names = endpoints.server_names(tuple(self.config.tls_names))
        assert self.authority is not None
        self.server = await asyncio.to_thread(self.authority.issue_server, names)
        try:  # a resolver that asks a slow DNS server about .localhost must not hold the start up
            self.subdomains = await asyncio.wait_for(
                asyncio.to_thread(endpoints.localhost_subdomains_resolve), 2.0
            )
        except TimeoutError:
            self.subdomains = False
        self.changed()

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self.certificates.clear()
        self.policies.clear()
        await self._authority()  # the stores were emptied: the same chain is written back
        self.changed()

    async def _authority(self) -> None:
        if self.authority is None:
            raw = self.meta.get(AUTHORITY, AUTHORITY_KEY)
            self.authority = (
                Authority.load(raw) if raw is not None else await asyncio.to_thread(Authority.create)
            )
        await self.meta.put(AUTHORITY, AUTHORITY_KEY, self.authority.dump())

    def inventory(self) -> dict[str, list[str]]:
        """What `headwater ls` lists (resident state only: certificates live on disk, unlisted)."""
        return {
            "iot policies": sorted(
                local_name(self.config, d["account"], d["region"], d["policyName"])
                for d in self.policies.policies.values()
            ),
            "iot CA certificates": sorted(
                local_name(self.config, d["account"], d["region"], d["certificateId"])
                for d in self.certificates.cas.values()
            ),
        }

    def now(self) -> float:
        return self.clock.now_ms() / 1000

    def ca(self) -> Authority:
        if self.authority is None:
            raise RuntimeError("the iot service has not started")
        return self.authority

    # -- DeviceTrust --------------------------------------------------------------------------------

    def changed(self) -> None:
        """The trust anchors (or the server certificate) changed: the listener rebuilds its contexts."""
        self.generation += 1
        self._material = None

    def material(self) -> DeviceTlsMaterial:
        if self._material is None:
            authority, server = self.ca(), self.server
            if server is None:
                raise RuntimeError("the iot service has not started")
            anchors = [authority.root_pem, authority.issuing_pem]
            anchors += [
                doc["certificatePem"] for doc in self.certificates.cas.values() if doc["status"] == "ACTIVE"
            ]
            anchors += list(self.certificates.no_ca.values())
            unique = list(dict.fromkeys(pem.strip() + "\n" for pem in anchors))
            self._material = DeviceTlsMaterial(
                generation=self.generation,
                server_cert_pem=server.cert_pem.encode(),
                server_key_pem=server.key_pem.encode(),
                client_anchors_pem="".join(unique).encode(),
            )
        return self._material

    def root_ca_pem(self) -> bytes:
        """The root CA certificate users add to their trust (the admin route serves it)."""
        return self.ca().root_pem.encode()

    def ca_chain_pem(self) -> bytes:
        """The issuing CA, then the root."""
        return (self.ca().issuing_pem + self.ca().root_pem).encode()

    # -- CertificateDirectory -----------------------------------------------------------------------

    def by_der(self, der: bytes) -> CertificateRecord | None:
        """The certificate's record; registered in several accounts (without a CA, SNI_ONLY), an
        ACTIVE registration first (the broker asks `by_id` when the SNI names the account)."""
        certificate_id = hashlib.sha256(der).hexdigest()
        found: Doc | None = None
        for account, region in self.certificates.holders(certificate_id):
            doc = self.certificates.get(account, region, certificate_id)
            if doc is None or doc["status"] == "PENDING_TRANSFER":
                continue
            if doc["status"] == "ACTIVE":
                return record_of(doc, der)
            found = found or doc
        return record_of(found, der) if found is not None else None

    def by_id(self, account: str, region: str, certificate_id: str) -> CertificateRecord | None:
        doc = self.certificates.get(account, region, certificate_id)
        return record_of(doc) if doc is not None else None

    async def auto_register(self, der: bytes) -> CertificateRecord | None:
        """For the device gateway, when `by_der` knows nothing of a certificate the handshake
        accepted: registers it as PENDING_ACTIVATION when an ACTIVE CA with auto-registration
        enabled signed it (see jitr.py), and returns its record (None: no such CA). The
        connection is refused either way."""
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return None
        ca = jitr.signing_ca(self.certificates, cert)
        if ca is None:
            return None
        existing = self.by_id(ca["account"], ca["region"], hashlib.sha256(der).hexdigest())
        if existing is not None:
            return existing
        doc = parsing.new_doc(
            cert,
            ca["account"],
            ca["region"],
            "PENDING_ACTIVATION",
            self.now(),
            caCertificateId=ca["certificateId"],
            certificateMode=ca["certificateMode"],
        )
        await self.certificates.put(doc, new=True)
        jitr.announce(self.events, doc)
        return record_of(doc, der)

    def revoked(self, doc: Doc) -> None:
        """The certificate left ACTIVE (the change is stored): the broker drops its connections. A
        failing hook is logged, never turned into the API call's error."""
        if self.on_revoked is not None:
            try:
                self.on_revoked(record_of(doc))
            except Exception:
                log.exception("dropping the connections of certificate %s failed", doc["certificateId"])

    # -- PolicyDirectory ----------------------------------------------------------------------------

    def attached(self, account: str, region: str, target_arns: Sequence[str]) -> list[AttachedPolicy]:
        seen: set[str] = set()
        found: list[AttachedPolicy] = []
        for target in target_arns:
            for name in self.policies.policies_of(account, region, target):
                doc = self.policies.get(account, region, name)
                if doc is None or name in seen:
                    continue
                seen.add(name)
                found.append(_default_version(doc, name, target))
        return found

    def policy(self, account: str, region: str, name: str) -> AttachedPolicy | None:
        """A policy's default version by name, attached or not (TestAuthorization's
        policyNamesToAdd; `via` is empty)."""
        doc = self.policies.get(account, region, name)
        return _default_version(doc, name, "") if doc is not None else None


def _default_version(doc: Doc, name: str, via: str) -> AttachedPolicy:
    version = doc["defaultVersionId"]
    return AttachedPolicy(name, doc["policyArn"], doc["versions"][version]["document"], version, via)


class SecurityHost(Protocol):
    """What the operations are bound to: the iot core, which holds this part."""

    security: SecurityPart
