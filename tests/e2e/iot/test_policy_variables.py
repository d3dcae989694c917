"""Policy variables and conditions on live connections: `${iot:ClientId}`, the thing of the
connection (`${iot:Connection.Thing.ThingName}`, `.Attributes[...]`, `.IsAttached` in a condition),
`${iot:Certificate.Subject.CommonName}` of a certificate made from a CSR; thing-group policies;
policy versions (SetDefaultPolicyVersion changes what a live connection may do next)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.e2e.iot.gateway import Gateway
from tests.e2e.iot.policies import (
    ARN,
    CONNECT_ANY,
    NOT_AUTHORIZED,
    Cert,
    Probe,
    allow,
    attach,
    certificate,
    document,
    probe,
    unique,
)
from tests.e2e.iot_security import pki

THING_CONNECT = allow(
    "iot:Connect",
    f"{ARN}:client/${{iot:Connection.Thing.ThingName}}",
    Condition={"Bool": {"iot:Connection.Thing.IsAttached": "true"}},
)


def _refused(aws: Gateway, cert: Cert, client_id: str) -> bool:
    attempt = Probe(client_id, "5", cert.context(aws)).start(aws.mtls)
    attempt.close()
    return attempt.connack == NOT_AUTHORIZED


def test_client_id_variable(aws: Gateway, tmp_path: Path) -> None:
    cert = certificate(
        aws,
        tmp_path,
        allow("iot:Connect", f"{ARN}:client/dev-*"),
        allow("iot:Publish", f"{ARN}:topic/devices/${{iot:ClientId}}/*"),
    )
    client_id = unique("dev")
    client = probe(aws, cert, client_id)
    try:
        assert client.publish(f"devices/{client_id}/state") == 0
        assert client.publish("devices/someone-else/state") == NOT_AUTHORIZED
    finally:
        client.close()


def test_thing_name_attributes_and_is_attached(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    thing = unique("lamp")
    iot.create_thing(thingName=thing, attributePayload={"attributes": {"floor": "3"}})
    cert = certificate(
        aws,
        tmp_path,
        THING_CONNECT,
        allow("iot:Publish", f"{ARN}:topic/things/${{iot:Connection.Thing.ThingName}}/*"),
        allow("iot:Publish", f"{ARN}:topic/floors/${{iot:Connection.Thing.Attributes[floor]}}/*"),
    )
    # not attached yet: no thing, IsAttached is false and the variable unresolved
    assert _refused(aws, cert, thing)
    iot.attach_thing_principal(thingName=thing, principal=cert.arn)
    assert _refused(aws, cert, "not-the-thing")  # a non-exclusive attachment needs client id = name
    client = probe(aws, cert, thing)
    try:
        assert client.publish(f"things/{thing}/state") == 0
        assert client.publish("things/other-lamp/state") == NOT_AUTHORIZED
        assert client.publish("floors/3/lights") == 0
        assert client.publish("floors/4/lights") == NOT_AUTHORIZED
        # a changed attribute applies at the next check (the API call clears the decision cache)
        iot.update_thing(thingName=thing, attributePayload={"attributes": {"floor": "4"}})
        assert client.publish("floors/4/lights") == 0
        assert client.publish("floors/3/lights") == NOT_AUTHORIZED
    finally:
        client.close()


def test_certificate_common_name_from_a_csr(aws: Gateway, tmp_path: Path) -> None:
    common_name = unique("meter")
    key = pki.rsa_key()
    made = aws.iot().create_certificate_from_csr(
        certificateSigningRequest=pki.csr(common_name, key), setAsActive=True
    )
    cert_path, key_path = tmp_path / "meter.pem", tmp_path / "meter.key"
    cert_path.write_text(made["certificatePem"])
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert = Cert(made["certificateArn"], made["certificateId"], str(cert_path), str(key_path))
    attach(
        aws,
        cert.arn,
        allow("iot:Connect", f"{ARN}:client/${{iot:Certificate.Subject.CommonName}}"),
        allow("iot:Publish", f"{ARN}:topic/meters/${{iot:Certificate.Subject.CommonName}}"),
    )
    assert _refused(aws, cert, "someone")
    client = probe(aws, cert, common_name)
    try:
        assert client.publish(f"meters/{common_name}") == 0
        assert client.publish("meters/other") == NOT_AUTHORIZED
    finally:
        client.close()


def test_thing_group_policies_apply_to_the_things_certificate(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    thing, group, parent = unique("truck"), unique("fleet"), unique("company")
    iot.create_thing(thingName=thing)
    parent_arn = iot.create_thing_group(thingGroupName=parent)["thingGroupArn"]
    iot.create_thing_group(thingGroupName=group, parentGroupName=parent)
    iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)
    cert = certificate(aws, tmp_path, THING_CONNECT)
    iot.attach_thing_principal(thingName=thing, principal=cert.arn)
    # the policy sits on the parent group: ancestors' policies apply too
    attach(aws, parent_arn, allow("iot:Publish", f"{ARN}:topic/fleet/*"))
    client = probe(aws, cert, thing)
    try:
        assert client.publish("fleet/position") == 0
        iot.remove_thing_from_thing_group(thingGroupName=group, thingName=thing)
        assert client.publish("fleet/position") == NOT_AUTHORIZED
    finally:
        client.close()


def test_set_default_policy_version_changes_a_live_connection(aws: Gateway, tmp_path: Path) -> None:
    iot = aws.iot()
    policy = unique("versions")
    iot.create_policy(
        policyName=policy, policyDocument=document(CONNECT_ANY, allow("iot:Publish", f"{ARN}:topic/v1/*"))
    )
    cert = certificate(aws, tmp_path)
    iot.attach_policy(policyName=policy, target=cert.arn)
    client = probe(aws, cert, unique("versioned"))
    try:
        assert client.publish("v1/a") == 0
        iot.create_policy_version(
            policyName=policy,
            policyDocument=document(CONNECT_ANY, allow("iot:Publish", f"{ARN}:topic/v2/*")),
            setAsDefault=False,
        )
        assert client.publish("v2/a") == NOT_AUTHORIZED  # version 2 exists but is not the default
        iot.set_default_policy_version(policyName=policy, policyVersionId="2")
        assert client.publish("v2/a") == 0
        assert client.publish("v1/a") == NOT_AUTHORIZED
        iot.set_default_policy_version(policyName=policy, policyVersionId="1")
        assert client.publish("v1/a") == 0
    finally:
        client.close()
