"""Certificates, CA certificates, policies, attachments and the local CA chain survive kill -9
(a root users trusted keeps working after a restart)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.e2e.iot_security import pki
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
)


def test_security_state_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    try:
        iot = client_for(server.endpoint, "iot")
        root = httpx.get(server.endpoint + "/_headwater/iot/root-ca").content
        endpoint = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        made = [iot.create_keys_and_certificate(setAsActive=True) for _ in range(3)]
        iot.update_certificate(certificateId=made[1]["certificateId"], newStatus="REVOKED")
        iot.update_certificate(certificateId=made[2]["certificateId"], newStatus="INACTIVE")
        iot.delete_certificate(certificateId=made[2]["certificateId"])
        code = iot.get_registration_code()["registrationCode"]
        ca = pki.UserCa()
        ca_id = iot.register_ca_certificate(
            caCertificate=ca.pem, verificationCertificate=ca.verification(code), setAsActive=True
        )["certificateId"]
        device = iot.register_certificate(certificatePem=ca.device())["certificateId"]
        iot.create_policy(policyName="p", policyDocument=DOC)
        iot.create_policy_version(
            policyName="p", policyDocument=DOC.replace("iot:*", "iot:Connect"), setAsDefault=True
        )
        iot.attach_policy(policyName="p", target=made[0]["certificateArn"])
        server.kill()

        server = durable_server(data_dir).start()
        iot = client_for(server.endpoint, "iot")
        assert httpx.get(server.endpoint + "/_headwater/iot/root-ca").content == root
        assert iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"] == endpoint
        statuses = {c["certificateId"]: c["status"] for c in iot.list_certificates()["certificates"]}
        assert statuses == {
            made[0]["certificateId"]: "ACTIVE",
            made[1]["certificateId"]: "REVOKED",
            device: "INACTIVE",
        }
        described = iot.describe_certificate(certificateId=device)["certificateDescription"]
        assert described["caCertificateId"] == ca_id
        assert [
            c["certificateId"] for c in iot.list_certificates_by_ca(caCertificateId=ca_id)["certificates"]
        ] == [device]
        assert (
            iot.describe_ca_certificate(certificateId=ca_id)["certificateDescription"]["status"] == "ACTIVE"
        )
        assert iot.get_registration_code()["registrationCode"] == code
        policy = iot.get_policy(policyName="p")
        assert policy["defaultVersionId"] == "2" and "iot:Connect" in policy["policyDocument"]
        assert iot.list_targets_for_policy(policyName="p")["targets"] == [made[0]["certificateArn"]]
        iot.create_policy_version(policyName="p", policyDocument=DOC)
        assert iot.get_policy_version(policyName="p", policyVersionId="3")["policyVersionId"] == "3"
    finally:
        server.stop()
