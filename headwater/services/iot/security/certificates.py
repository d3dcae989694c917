"""Device certificates: create (keys and certificate, from a CSR), register (with a registered CA,
without one), describe, list, update, delete."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from cryptography import x509

from headwater.services.context import RequestContext
from headwater.services.iot.security import errors, paging, parsing
from headwater.services.iot.security.authority import certificate_id, key_pem, new_device_key, pem, public_pem
from headwater.services.iot.security.part import SecurityHost, SecurityPart

Result = dict[str, Any]
# statuses UpdateCertificate takes (PENDING_* are AWS's own, REGISTER_INACTIVE is deprecated but taken)
SETTABLE = ("ACTIVE", "INACTIVE", "REVOKED", "REGISTER_INACTIVE")


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _created(doc: dict[str, Any]) -> Result:
    return {"certificateArn": doc["certificateArn"], "certificateId": doc["certificateId"]}


async def _store_new(
    part: SecurityPart, cert: x509.Certificate, ctx: RequestContext, status: str, **extra: Any
) -> dict[str, Any]:
    cid = certificate_id(cert)
    if part.certificates.get(ctx.account, ctx.region, cid) is not None:
        raise errors.exists(
            "The certificate is already provisioned or registered",
            cid,
            f"arn:aws:iot:{ctx.region}:{ctx.account}:cert/{cid}",
        )
    doc = parsing.new_doc(cert, ctx.account, ctx.region, status, part.now(), **extra)
    await part.certificates.put(doc, new=True)
    if doc.get("noCa"):
        part.changed()  # a new trust anchor
    return doc


async def create_keys_and_certificate(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> Result:
    part = core.security
    key = await asyncio.to_thread(new_device_key)  # RSA 2048 takes tens of milliseconds
    cert = part.ca().issue_device(key.public_key())
    doc = await _store_new(part, cert, ctx, "ACTIVE" if params.get("setAsActive") else "INACTIVE")
    return {
        **_created(doc),
        "certificatePem": pem(cert),
        "keyPair": {"PublicKey": public_pem(key.public_key()), "PrivateKey": key_pem(key)},
    }


async def create_certificate_from_csr(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> Result:
    part = core.security
    request = parsing.csr(params.get("certificateSigningRequest"))
    subject = request.subject if len(request.subject) else None
    cert = part.ca().issue_device(request.public_key(), subject)
    doc = await _store_new(part, cert, ctx, "ACTIVE" if params.get("setAsActive") else "INACTIVE")
    return {**_created(doc), "certificatePem": pem(cert)}


def _register_status(params: dict[str, Any]) -> str:
    status = params.get("status")
    if status is None:
        return "ACTIVE" if params.get("setAsActive") else "INACTIVE"
    if status not in ("ACTIVE", "INACTIVE", "REVOKED", "REGISTER_INACTIVE"):
        raise errors.invalid(f"The status {status} cannot be set when registering a certificate.")
    return str(status)


async def register_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    cert = parsing.certificate(params.get("certificatePem"))
    parsing.check_current(cert, _utcnow())
    parsing.check_key(cert.public_key())
    status = _register_status(params)
    candidates = part.certificates.cas_of(ctx.account, ctx.region)
    if params.get("caCertificatePem"):
        given = parsing.certificate(params["caCertificatePem"], "CA certificate")
        cid = certificate_id(given)
        candidates = [doc for doc in candidates if doc["certificateId"] == cid]
        if not candidates:
            raise errors.validation("The CA certificate given in the request is not registered.")
    signer = next(
        (
            doc
            for doc in candidates
            if parsing.signed_by(cert, x509.load_pem_x509_certificate(doc["certificatePem"].encode()))
        ),
        None,
    )
    if signer is None:
        raise errors.validation("The certificate is not signed by a registered CA certificate.")
    if signer["status"] != "ACTIVE":
        raise errors.state(f"The CA certificate {signer['certificateId']} is not ACTIVE.")
    doc = await _store_new(
        part,
        cert,
        ctx,
        status,
        caCertificateId=signer["certificateId"],
        certificateMode=signer["certificateMode"],
    )
    return _created(doc)


async def register_certificate_without_ca(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> Result:
    part = core.security
    cert = parsing.certificate(params.get("certificatePem"))
    parsing.check_current(cert, _utcnow())
    parsing.check_key(cert.public_key())
    doc = await _store_new(part, cert, ctx, _register_status(params), certificateMode="SNI_ONLY", noCa=True)
    return _created(doc)


def found(part: SecurityPart, ctx: RequestContext, certificate_id: str) -> dict[str, Any]:
    doc = part.certificates.get(ctx.account, ctx.region, certificate_id.lower().removeprefix("0x"))
    if doc is None:
        raise errors.certificate_not_found(certificate_id)
    return doc


async def describe_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    return {"certificateDescription": parsing.describe(found(core.security, ctx, params["certificateId"]))}


def _listing(part: SecurityPart, ctx: RequestContext, params: dict[str, Any], scope: str) -> Result:
    after = paging.decode(params.get("marker"))
    limit = paging.size(params)
    rows = part.certificates.listing(
        ctx.account, ctx.region, scope, bool(params.get("ascendingOrder")), after
    )
    chosen: list[tuple[str, dict[str, Any]]] = []
    more = False
    for row in rows:
        if len(chosen) == limit:
            more = True
            break
        chosen.append(row)
    result: Result = {"certificates": [parsing.summary(doc) for _, doc in chosen]}
    if more:
        result["nextMarker"] = paging.encode(chosen[-1][0])
    return result


async def list_certificates(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    return _listing(core.security, ctx, params, "all")


async def list_certificates_by_ca(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    return _listing(core.security, ctx, params, f"ca-{params['caCertificateId'].lower()}")


async def update_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    new = params["newStatus"]
    if new not in SETTABLE:
        raise errors.invalid(f"The status {new} cannot be set with UpdateCertificate.")
    old = doc["status"]
    if old == new:
        return
    if old == "REVOKED":
        raise errors.state(f"The certificate {doc['certificateId']} is REVOKED: its status cannot change.")
    if old == "PENDING_TRANSFER":
        raise errors.state(f"The certificate {doc['certificateId']} is pending transfer.")
    if new == "ACTIVE" and doc.get("caCertificateId"):
        ca = part.certificates.ca(ctx.account, ctx.region, doc["caCertificateId"])
        if ca is not None and ca["status"] != "ACTIVE":
            raise errors.state(f"The CA certificate {ca['certificateId']} is not ACTIVE.")
    doc["status"] = new
    parsing.touch(doc, part.now())
    await part.certificates.put(doc, new=False)
    if old == "ACTIVE":
        part.revoked(doc)


async def delete_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    arn = doc["certificateArn"]
    if doc["status"] == "ACTIVE":
        raise errors.state(
            f"Certificate must be deactivated (not ACTIVE) before deletion. Id: {doc['certificateId']}"
        )
    if doc["status"] == "PENDING_TRANSFER":
        raise errors.state(
            f"The certificate {doc['certificateId']} is pending transfer: cancel the transfer first."
        )
    if part.things is not None and part.things.things_of_principal(ctx.account, ctx.region, arn):
        raise errors.conflict(f"Things must be detached before deletion (arn: {arn})")
    policies = part.policies.policies_of(ctx.account, ctx.region, arn)
    if policies and not params.get("forceDelete"):
        raise errors.conflict(f"Certificate policies must be detached before deletion (arn: {arn})")
    for name in policies:
        await part.policies.detach(ctx.account, ctx.region, name, arn)
    await part.certificates.delete(doc)
    await part.untag(doc["certificateArn"])
    if doc.get("noCa"):
        part.changed()
    part.revoked(doc)


OPERATIONS = {
    "CreateKeysAndCertificate": create_keys_and_certificate,
    "CreateCertificateFromCsr": create_certificate_from_csr,
    "RegisterCertificate": register_certificate,
    "RegisterCertificateWithoutCA": register_certificate_without_ca,
    "DescribeCertificate": describe_certificate,
    "ListCertificates": list_certificates,
    "ListCertificatesByCA": list_certificates_by_ca,
    "UpdateCertificate": update_certificate,
    "DeleteCertificate": delete_certificate,
}
