"""Every operation of the security part, for the iot service's table."""

from __future__ import annotations

from headwater.services.iot.security import (
    attachments,
    ca_certificates,
    certificates,
    endpoint_api,
    policies,
    transfers,
)

OPERATIONS = {
    **certificates.OPERATIONS,
    **transfers.OPERATIONS,
    **ca_certificates.OPERATIONS,
    **policies.OPERATIONS,
    **attachments.OPERATIONS,
    **endpoint_api.OPERATIONS,
}
