"""Just-in-time registration (AWS's JITR): a device presents a certificate nobody registered, signed
by a registered CA whose auto-registration is enabled. The TLS handshake accepts it (the CA is a
trust anchor), then the device gateway asks `SecurityPart`'s `auto_register`: the certificate is
registered as PENDING_ACTIVATION in the CA's account and region, and the registered event goes to
`$aws/events/certificates/registered/<caCertificateId>` (a rule or a program activates it). The
connection itself is refused, as AWS refuses it."""

from __future__ import annotations

import json

from cryptography import x509

from headwater.services.iot.contracts import EventPublisher
from headwater.services.iot.security import parsing
from headwater.services.iot.security.cert_store import CertificateStore, Doc


def signing_ca(store: CertificateStore, cert: x509.Certificate) -> Doc | None:
    """The ACTIVE CA certificate with auto-registration enabled that signed `cert`."""
    for doc in store.cas.values():
        if doc["status"] != "ACTIVE" or doc.get("autoRegistrationStatus") != "ENABLE":
            continue
        if parsing.signed_by(cert, x509.load_pem_x509_certificate(doc["certificatePem"].encode())):
            return doc
    return None


def announce(events: EventPublisher | None, doc: Doc) -> None:
    if events is None:
        return
    ms = int(doc["creationDate"] * 1000)
    payload = {
        "certificateId": doc["certificateId"],
        "caCertificateId": doc["caCertificateId"],
        "timestamp": ms,
        "certificateStatus": doc["status"],
        "awsAccountId": doc["account"],
        "certificateRegistrationTimestamp": str(ms),
    }
    topic = f"$aws/events/certificates/registered/{doc['caCertificateId']}"
    events.publish_event(doc["account"], doc["region"], topic, json.dumps(payload).encode())
