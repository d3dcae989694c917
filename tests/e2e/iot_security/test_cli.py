"""The AWS CLI's `aws iot` commands, and `headwater iot root-ca`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography import x509

from tests.e2e.iot_security import pki
from tests.e2e.support.cli import Cli
from tests.e2e.support.server import Server


def test_aws_cli_certificates_and_policies(cli: Callable[..., Cli], tmp_path: Path) -> None:
    aws = cli("iot")
    made = aws("create-keys-and-certificate", "--set-as-active")
    cid = made["certificateId"]
    assert made["keyPair"]["PrivateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert (
        aws("describe-certificate", "--certificate-id", cid)["certificateDescription"]["status"] == "ACTIVE"
    )
    csr = tmp_path / "device.csr"
    csr.write_text(pki.csr("cli-device"))
    from_csr = aws("create-certificate-from-csr", "--certificate-signing-request", f"file://{csr}")
    listed = aws("list-certificates")["certificates"]
    assert {c["certificateId"] for c in listed} == {cid, from_csr["certificateId"]}

    document = tmp_path / "policy.json"
    document.write_text(
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
        )
    )
    aws("create-policy", "--policy-name", "all", "--policy-document", f"file://{document}")
    aws("attach-policy", "--policy-name", "all", "--target", made["certificateArn"])
    attached = aws("list-attached-policies", "--target", made["certificateArn"])["policies"]
    assert [p["policyName"] for p in attached] == ["all"]
    assert aws("list-policy-versions", "--policy-name", "all")["policyVersions"][0]["versionId"] == "1"

    aws("update-certificate", "--certificate-id", cid, "--new-status", "INACTIVE")
    refused = aws.run("delete-certificate", "--certificate-id", cid)
    assert refused.returncode != 0 and "DeleteConflictException" in refused.stderr
    aws("delete-certificate", "--certificate-id", cid, "--force-delete")
    assert aws("describe-endpoint", "--endpoint-type", "iot:Data-ATS")["endpointAddress"]


def test_headwater_iot_root_ca(server: Server, endpoint: str, tmp_path: Path) -> None:
    expected = httpx.get(endpoint + "/_headwater/iot/root-ca").content
    command = [sys.executable, "-m", "headwater", "iot", "root-ca", "--endpoint", endpoint]
    printed = subprocess.run(command, capture_output=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == expected
    target = tmp_path / "root.pem"
    written = subprocess.run([*command, "-o", str(target)], capture_output=True, timeout=60)
    assert written.returncode == 0 and target.read_bytes() == expected
    assert x509.load_pem_x509_certificate(expected).subject == x509.load_pem_x509_certificate(expected).issuer
