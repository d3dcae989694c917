"""Hostile input to the certificate, CA certificate, policy and endpoint operations never answers
5xx (other than 501) and never takes the server down: each operation's valid request, then each
member bent on its own (support/fuzz_sweep.py), against a certificate, CA and policy they name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.services.iot.security.api import OPERATIONS
from tests.e2e.iot_security import pki
from tests.e2e.support.fuzz_sweep import sweep

DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}'


def test_security_operations_survive_bent_members(endpoint: str, client: Callable[..., Any]) -> None:
    iot = client("iot")
    made = iot.create_keys_and_certificate(setAsActive=False)
    iot.create_policy(policyName="fuzz", policyDocument=DOC)
    names = {
        "certificateId": made["certificateId"],
        "caCertificateId": "0" * 64,
        "policyName": "fuzz",
        "policyVersionId": "1",
        "target": made["certificateArn"],
        "principal": made["certificateArn"],
        "policyDocument": DOC,
        "certificatePem": pki.self_signed_device(),
        "certificateSigningRequest": pki.csr(),
    }
    failures = sweep(endpoint, "iot", OPERATIONS, names)
    assert failures == []
    assert iot.list_policies()["policies"] is not None
