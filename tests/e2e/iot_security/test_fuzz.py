"""Hostile input to the certificate, CA certificate, policy and endpoint operations never answers
5xx (other than 501) and never takes the server down: each operation's valid request, then each
member bent on its own (support/fuzz_sweep.py), against a certificate, CA and policy they name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from botocore.model import ServiceModel

from headwater.protocol.models import service_model
from headwater.services.iot.security.api import OPERATIONS
from tests.e2e.iot_security import pki
from tests.e2e.support.fuzz import requests_for, signed
from tests.e2e.support.fuzz_sweep import bends_for

DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}'


class _Served:
    """The iot model with only this part's operations."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self.operation_names = [name for name in model.operation_names if name in OPERATIONS]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


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
    model: Any = _Served(service_model("iot"))
    wires = [("as built", wire) for wire in requests_for(model, names)]
    assert {wire.operation for _, wire in wires} == set(OPERATIONS)
    failures = []
    with httpx.Client(timeout=httpx.Timeout(15.0)) as http:
        for what, wire in [*wires, *bends_for(model, names)]:
            method, url, headers, body = signed(wire, endpoint)
            try:
                status = http.request(method, url, headers=headers, content=body).status_code
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
                continue
            if status >= 500 and status != 501:
                failures.append(f"{wire.operation} {what}: {status}")
    assert failures == []
    assert iot.list_policies()["policies"] is not None
