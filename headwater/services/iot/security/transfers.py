"""Certificate transfers between accounts: the owner offers an INACTIVE certificate with no
policies (TransferCertificate, PENDING_TRANSFER), the target account accepts or rejects it, the
owner may cancel. An accepted certificate moves to the target account (same region)."""

from __future__ import annotations

from typing import Any

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.security import errors, parsing
from headwater.services.iot.security.certificates import found
from headwater.services.iot.security.part import SecurityHost, SecurityPart


def _completed(certificate_id: str) -> AwsError:
    return AwsError(
        "TransferAlreadyCompletedException", f"The transfer of certificate {certificate_id} is complete."
    )


async def transfer_certificate(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    target = params["targetAwsAccount"]
    if not (len(target) == 12 and target.isdigit()) or target == ctx.account:
        raise errors.invalid(f"The target account {target} is not valid.")
    if doc["status"] == "ACTIVE":
        raise errors.state(
            f"The certificate {doc['certificateId']} is ACTIVE: deactivate it before a transfer."
        )
    if doc["status"] != "INACTIVE":
        raise errors.state(
            f"The certificate {doc['certificateId']} cannot be transferred while {doc['status']}."
        )
    if part.policies.policies_of(ctx.account, ctx.region, doc["certificateArn"]):
        raise AwsError(
            "TransferConflictException",
            f"Certificate policies must be detached before a transfer (arn: {doc['certificateArn']})",
        )
    now = part.now()
    doc["status"] = "PENDING_TRANSFER"
    doc["transferTo"] = target
    doc["transferData"] = {
        "transferDate": now,
        **({"transferMessage": params["transferMessage"]} if params.get("transferMessage") else {}),
    }
    parsing.touch(doc, now)
    await part.certificates.put(doc, new=False)
    return {"transferredCertificateArn": f"arn:aws:iot:{ctx.region}:{target}:cert/{doc['certificateId']}"}


def _offered(part: SecurityPart, ctx: RequestContext, certificate_id: str) -> dict[str, Any]:
    """The certificate another account offers to the caller's."""
    cid = certificate_id.lower().removeprefix("0x")
    for account, region in part.certificates.holders(cid):
        doc = part.certificates.get(account, region, cid)
        if doc is not None and region == ctx.region and doc.get("transferTo") == ctx.account:
            if doc["status"] != "PENDING_TRANSFER":
                raise _completed(cid)
            return doc
    raise errors.certificate_not_found(certificate_id)


async def accept_certificate_transfer(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> None:
    part = core.security
    source = _offered(part, ctx, params["certificateId"])
    now = part.now()
    moved = {key: value for key, value in source.items() if key != "transferTo"}
    moved.update(
        account=ctx.account,
        certificateArn=f"arn:aws:iot:{ctx.region}:{ctx.account}:cert/{source['certificateId']}",
        status="ACTIVE" if params.get("setAsActive") else "INACTIVE",
        ownedBy=ctx.account,
        previousOwnedBy=source["account"],
        creationDate=now,
        transferData={**source.get("transferData", {}), "acceptDate": now},
    )
    moved.pop("caCertificateId", None)  # the CA is registered in the old account, not this one
    parsing.touch(moved, now)
    await part.certificates.delete(source)
    await part.certificates.put(moved, new=True)
    if moved.get("noCa"):
        part.changed()


async def reject_certificate_transfer(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> None:
    part = core.security
    doc = _offered(part, ctx, params["certificateId"])
    now = part.now()
    doc.pop("transferTo", None)
    doc["status"] = "INACTIVE"
    doc["transferData"] = {
        **doc.get("transferData", {}),
        "rejectDate": now,
        **({"rejectReason": params["rejectReason"]} if params.get("rejectReason") else {}),
    }
    parsing.touch(doc, now)
    await part.certificates.put(doc, new=False)


async def cancel_certificate_transfer(
    core: SecurityHost, params: dict[str, Any], ctx: RequestContext
) -> None:
    part = core.security
    doc = found(part, ctx, params["certificateId"])
    if doc["status"] != "PENDING_TRANSFER":
        raise _completed(doc["certificateId"])
    doc.pop("transferTo", None)
    doc.pop("transferData", None)
    doc["status"] = "INACTIVE"
    parsing.touch(doc, part.now())
    await part.certificates.put(doc, new=False)


OPERATIONS = {
    "TransferCertificate": transfer_certificate,
    "AcceptCertificateTransfer": accept_certificate_transfer,
    "RejectCertificateTransfer": reject_certificate_transfer,
    "CancelCertificateTransfer": cancel_certificate_transfer,
}
