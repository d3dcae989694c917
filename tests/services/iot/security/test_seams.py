"""The part's seams, called in process: the certificate and policy directories the broker and the
authorizer read, and the hooks the core wires (revocation, the registry, the policy engine)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from headwater.config import Config
from headwater.engine.memory import MemoryEngine
from headwater.protocol.errors import AwsError
from headwater.runtime.clock import SystemClock
from headwater.services.context import RequestContext
from headwater.services.iot.contracts import CertificateRecord, ThingInfo
from headwater.services.iot.security.api import OPERATIONS
from headwater.services.iot.security.part import SecurityPart
from tests.e2e.iot_security import pki  # the test PKI helpers (a user's CA, CSRs)

DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
)
CTX = RequestContext(account="123456789012", region="eu-west-1", request_id="r", protocol="rest-json")


@dataclass
class Core:
    security: SecurityPart


class Things:
    def __init__(self) -> None:
        self.attached: dict[str, list[str]] = {}

    def thing(self, account: str, region: str, name: str) -> ThingInfo | None:
        return None

    def things_of_principal(self, account: str, region: str, principal_arn: str) -> list[str]:
        return self.attached.get(principal_arn, [])

    def is_exclusively_attached(self, account: str, region: str, principal_arn: str, thing: str) -> bool:
        return False

    def groups_of_thing(self, account: str, region: str, thing: str) -> list[str]:
        return []


Call = Callable[..., Awaitable[Any]]


def run(test: Callable[[SecurityPart, Call], Awaitable[None]]) -> None:
    async def main() -> None:
        engine = MemoryEngine()
        await engine.start()
        part = SecurityPart(Config(), engine.meta, engine.ordered, SystemClock())
        await part.start()
        core = Core(part)

        async def call(name: str, **params: Any) -> Any:
            return await OPERATIONS[name](core, params, CTX)

        await test(part, call)

    asyncio.run(main())


def test_directories_and_the_revocation_hook() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        revoked: list[CertificateRecord] = []
        part.on_revoked = revoked.append
        made = await call("CreateKeysAndCertificate", setAsActive=True)
        der = x509.load_pem_x509_certificate(made["certificatePem"].encode()).public_bytes(Encoding.DER)
        record = part.by_der(der)
        assert record is not None
        assert (record.account, record.region, record.status) == ("123456789012", "eu-west-1", "ACTIVE")
        assert record.arn == made["certificateArn"] and record.der == der
        assert part.by_id("123456789012", "eu-west-1", made["certificateId"]) == record
        assert part.by_id("123456789012", "us-east-1", made["certificateId"]) is None

        await call("UpdateCertificate", certificateId=made["certificateId"], newStatus="INACTIVE")
        assert [r.status for r in revoked] == ["INACTIVE"]
        await call("UpdateCertificate", certificateId=made["certificateId"], newStatus="REVOKED")
        assert len(revoked) == 1  # only leaving ACTIVE drops connections
        await call("DeleteCertificate", certificateId=made["certificateId"])
        assert len(revoked) == 2 and part.by_der(der) is None

    run(test)


def test_policy_directory_gives_default_versions_once() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        cert = (await call("CreateKeysAndCertificate"))["certificateArn"]
        group = "arn:aws:iot:eu-west-1:123456789012:thinggroup/g"
        await call("CreatePolicy", policyName="a", policyDocument=DOC)
        await call("CreatePolicy", policyName="b", policyDocument=DOC)
        second = DOC.replace("iot:*", "iot:Connect")
        await call("CreatePolicyVersion", policyName="b", policyDocument=second, setAsDefault=True)
        await call("AttachPolicy", policyName="a", target=cert)
        await call("AttachPolicy", policyName="a", target=group)
        await call("AttachPolicy", policyName="b", target=group)
        found = part.attached("123456789012", "eu-west-1", [cert, group])
        assert [(p.name, p.version_id, p.via) for p in found] == [("a", "1", cert), ("b", "2", group)]
        assert found[1].document == second
        assert part.attached("123456789012", "us-east-1", [cert]) == []

    run(test)


def test_attached_things_block_deletion_and_groups_recurse() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        things = Things()
        part.things = things
        made = await call("CreateKeysAndCertificate")
        things.attached[made["certificateArn"]] = ["lamp"]
        with pytest.raises(AwsError) as excinfo:
            await call("DeleteCertificate", certificateId=made["certificateId"], forceDelete=True)
        assert excinfo.value.code == "DeleteConflictException"
        assert (
            excinfo.value.message
            == f"Things must be detached before deletion (arn: {made['certificateArn']})"
        )

        child = "arn:aws:iot:eu-west-1:123456789012:thinggroup/child"
        parent = "arn:aws:iot:eu-west-1:123456789012:thinggroup/parent"
        part.parent_groups = lambda account, region, arn: [parent] if arn == child else []
        await call("CreatePolicy", policyName="inherited", policyDocument=DOC)
        await call("AttachPolicy", policyName="inherited", target=parent)
        assert (await call("ListAttachedPolicies", target=child))["policies"] == []
        listed = (await call("ListAttachedPolicies", target=child, recursive=True))["policies"]
        assert [p["policyName"] for p in listed] == ["inherited"]

    run(test)


def test_the_policy_engine_check_runs_after_the_grammar() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        part.policy_check = lambda text: (
            "Policy variable ${iot:Nope} is not supported" if "Nope" in text else None
        )
        await call("CreatePolicy", policyName="fine", policyDocument=DOC)
        with pytest.raises(AwsError) as excinfo:
            await call(
                "CreatePolicy", policyName="bad", policyDocument=DOC.replace('"*"}', '"topic/${iot:Nope}"}')
            )
        assert excinfo.value.code == "MalformedPolicyException"

    run(test)


def test_trust_generation_follows_anchors() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        start = part.material().generation
        await call("CreateKeysAndCertificate")  # signed by the local CA: no new anchor
        assert part.material().generation == start
        made = await call(
            "RegisterCertificateWithoutCA", certificatePem=pki.self_signed_device(), status="ACTIVE"
        )
        material = part.material()
        assert material.generation == start + 1
        assert made["certificateId"]
        # the root, the issuing CA and the certificate registered without a CA
        assert material.client_anchors_pem.count(b"-----BEGIN CERTIFICATE-----") == 3
        assert part.root_ca_pem() in material.client_anchors_pem
        ca = pki.UserCa()
        code = (await call("GetRegistrationCode"))["registrationCode"]
        registered = await call(
            "RegisterCACertificate", caCertificate=ca.pem, verificationCertificate=ca.verification(code)
        )
        assert ca.pem.encode() not in part.material().client_anchors_pem  # INACTIVE: no anchor
        await call("UpdateCACertificate", certificateId=registered["certificateId"], newStatus="ACTIVE")
        assert ca.pem.encode() in part.material().client_anchors_pem
        assert part.material().generation == start + 3

    run(test)


class Events:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str, dict[str, Any]]] = []

    def publish_event(self, account: str, region: str, topic: str, payload: bytes) -> None:
        self.published.append((account, region, topic, json.loads(payload)))


def test_just_in_time_registration() -> None:
    async def test(part: SecurityPart, call: Call) -> None:
        events = Events()
        part.events = events
        ca = pki.UserCa()
        code = (await call("GetRegistrationCode"))["registrationCode"]
        registered = await call(
            "RegisterCACertificate",
            caCertificate=ca.pem,
            verificationCertificate=ca.verification(code),
            setAsActive=True,
        )
        device = x509.load_pem_x509_certificate(ca.device("jitr").encode()).public_bytes(Encoding.DER)
        assert await part.auto_register(device) is None  # auto-registration is off
        await call(
            "UpdateCACertificate",
            certificateId=registered["certificateId"],
            newAutoRegistrationStatus="ENABLE",
        )
        record = await part.auto_register(device)
        assert record is not None and record.status == "PENDING_ACTIVATION"
        assert record.ca_certificate_id == registered["certificateId"]
        assert part.by_der(device) == record
        [(account, region, topic, payload)] = events.published
        assert (account, region) == ("123456789012", "eu-west-1")
        assert topic == f"$aws/events/certificates/registered/{registered['certificateId']}"
        assert payload["certificateId"] == record.certificate_id
        assert (
            payload["certificateStatus"] == "PENDING_ACTIVATION" and payload["awsAccountId"] == "123456789012"
        )
        assert await part.auto_register(device) == record and len(events.published) == 1  # once
        await call("UpdateCertificate", certificateId=record.certificate_id, newStatus="ACTIVE")
        active = part.by_der(device)
        assert active is not None and active.status == "ACTIVE"
        assert await part.auto_register(b"not a certificate") is None
        stranger = x509.load_pem_x509_certificate(pki.UserCa().device().encode()).public_bytes(Encoding.DER)
        assert await part.auto_register(stranger) is None

    run(test)
