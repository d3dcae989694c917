"""CA certificates: the registration code, RegisterCACertificate (DEFAULT mode proves possession of
the CA's key with a verification certificate whose common name is the code; SNI_ONLY needs none),
describe, list, update and delete. ACTIVE CA certificates are client trust anchors of the device
gateway, so every change here bumps the TLS material's generation."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from cryptography.x509.oid import NameOID

from headwater.services.context import RequestContext
from headwater.services.iot.security import errors, paging, parsing
from headwater.services.iot.security.authority import certificate_id
from headwater.services.iot.security.part import SecurityHost, SecurityPart

Result = dict[str, Any]


async def get_registration_code(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    code = part.certificates.codes.get(f"{ctx.account}/{ctx.region}")
    if code is None:
        code = secrets.token_hex(32)
        await part.certificates.set_code(ctx.account, ctx.region, code)
    return {"registrationCode": code}


async def delete_registration_code(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    if f"{ctx.account}/{ctx.region}" not in part.certificates.codes:
        raise errors.not_found("There is no registration code for this account.")
    await part.certificates.set_code(ctx.account, ctx.region, None)


def _verify_possession(part: SecurityPart, ctx: RequestContext, ca: Any, params: dict[str, Any]) -> None:
    text = params.get("verificationCertificate")
    if not text:
        raise errors.invalid(
            "A verification certificate is required to register a CA certificate in DEFAULT mode."
        )
    verification = parsing.certificate(text, "verification certificate")
    code = part.certificates.codes.get(f"{ctx.account}/{ctx.region}")
    if code is None:
        raise errors.not_found("There is no registration code for this account: call GetRegistrationCode.")
    names = verification.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or names[0].value != code:
        raise errors.registration("The verification certificate's common name is not the registration code.")
    if not parsing.signed_by(verification, ca):
        raise errors.validation("The verification certificate is not signed by the CA certificate's key.")


async def register_ca_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    part = core.security
    ca = parsing.certificate(params.get("caCertificate"), "CA certificate")
    now = datetime.datetime.now(datetime.UTC)
    parsing.check_current(ca, now, "CA certificate")
    if not parsing.is_ca(ca):
        raise errors.validation("The certificate is not a CA certificate (basic constraints CA:TRUE).")
    mode = params.get("certificateMode") or "DEFAULT"
    if mode not in ("DEFAULT", "SNI_ONLY"):
        raise errors.invalid(f"The certificate mode {mode} is not valid.")
    cid = certificate_id(ca)
    if part.certificates.ca(ctx.account, ctx.region, cid) is not None:
        raise errors.exists(
            "The CA certificate is already registered",
            cid,
            f"arn:aws:iot:{ctx.region}:{ctx.account}:cacert/{cid}",
        )
    if mode == "DEFAULT":
        _verify_possession(part, ctx, ca, params)
        # in DEFAULT mode a CA belongs to one account per region
        for doc in part.certificates.cas.values():
            same = doc["certificateId"] == cid and doc["region"] == ctx.region
            if same and doc["certificateMode"] == "DEFAULT":
                raise errors.exists(
                    "The CA certificate is registered in DEFAULT mode by another account", cid
                )
    doc = parsing.new_doc(
        ca,
        ctx.account,
        ctx.region,
        "ACTIVE" if params.get("setAsActive") else "INACTIVE",
        part.now(),
        kind="cacert",
        autoRegistrationStatus="ENABLE" if params.get("allowAutoRegistration") else "DISABLE",
    )
    doc["certificateMode"] = mode
    if params.get("registrationConfig"):
        doc["registrationConfig"] = params["registrationConfig"]
    await part.certificates.put_ca(doc)
    await part.tag(doc["certificateArn"], params.get("tags"))
    part.changed()
    return {"certificateArn": doc["certificateArn"], "certificateId": cid}


def found(part: SecurityPart, ctx: RequestContext, certificate_id: str) -> dict[str, Any]:
    doc = part.certificates.ca(ctx.account, ctx.region, certificate_id.lower().removeprefix("0x"))
    if doc is None:
        raise errors.ca_not_found(certificate_id)
    return doc


async def describe_ca_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    doc = found(core.security, ctx, params["certificateId"])
    result: Result = {"certificateDescription": parsing.describe(doc, parsing.CA_DESCRIPTION)}
    if doc.get("registrationConfig"):
        result["registrationConfig"] = doc["registrationConfig"]
    return result


async def list_ca_certificates(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> Result:
    docs = core.security.certificates.cas_of(ctx.account, ctx.region)
    if params.get("templateName"):
        docs = [
            d
            for d in docs
            if (d.get("registrationConfig") or {}).get("templateName") == params["templateName"]
        ]
    descending = not params.get("ascendingOrder")
    docs.sort(key=_order, reverse=descending)
    chosen, marker = paging.page(docs, _order, params, descending=descending)
    result: Result = {"certificates": [parsing.summary(doc, ca=True) for doc in chosen]}
    if marker:
        result["nextMarker"] = marker
    return result


def _order(doc: dict[str, Any]) -> str:
    return f"{int(doc['creationDate'] * 1000):013d}/{doc['certificateId']}"


async def update_ca_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    status = params.get("newStatus")
    if status is not None:
        if status not in ("ACTIVE", "INACTIVE"):
            raise errors.invalid(f"The status {status} is not valid for a CA certificate.")
        doc["status"] = status
    auto = params.get("newAutoRegistrationStatus")
    if auto is not None:
        if auto not in ("ENABLE", "DISABLE"):
            raise errors.invalid(f"The auto registration status {auto} is not valid.")
        doc["autoRegistrationStatus"] = auto
    if params.get("removeAutoRegistration"):
        doc.pop("registrationConfig", None)
    elif params.get("registrationConfig"):
        doc["registrationConfig"] = params["registrationConfig"]
    parsing.touch(doc, part.now())
    await part.certificates.put_ca(doc)
    part.changed()


async def delete_ca_certificate(core: SecurityHost, params: dict[str, Any], ctx: RequestContext) -> None:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    if doc["status"] == "ACTIVE":
        raise errors.state(
            f"The CA certificate must be deactivated before deletion. Id: {doc['certificateId']}"
        )
    if part.certificates.any_of_ca(ctx.account, ctx.region, doc["certificateId"]):
        raise errors.state(
            "The CA certificate cannot be deleted while certificates registered with it exist. "
            f"Id: {doc['certificateId']}"
        )
    await part.certificates.delete_ca(doc)
    await part.untag(doc["certificateArn"])
    part.changed()


OPERATIONS = {
    "GetRegistrationCode": get_registration_code,
    "DeleteRegistrationCode": delete_registration_code,
    "RegisterCACertificate": register_ca_certificate,
    "DescribeCACertificate": describe_ca_certificate,
    "ListCACertificates": list_ca_certificates,
    "UpdateCACertificate": update_ca_certificate,
    "DeleteCACertificate": delete_ca_certificate,
}
