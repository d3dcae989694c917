"""The `iot:Certificate.*` policy variables of a device certificate, read from its DER.

Each subject and issuer attribute (and each alternative-name kind) may hold several values: the bare
variable is the first, `.<n>` the n-th (from 0), `.List` all of them (for ForAnyValue/ForAllValues).
As AWS documents: at most five values per attribute are kept, and a value containing a wildcard
(`*`, `?`) or longer than 1,024 characters is left unresolved (the statement then matches nothing).
`iot:Certificate.AvailableKeys` lists the variables that have a value.
"""

from __future__ import annotations

import hashlib
import ipaddress
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

_NAME_ATTRIBUTES = {
    "DistinguishedNameQualifier": NameOID.DN_QUALIFIER,
    "Country": NameOID.COUNTRY_NAME,
    "Organization": NameOID.ORGANIZATION_NAME,
    "OrganizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "State": NameOID.STATE_OR_PROVINCE_NAME,
    "CommonName": NameOID.COMMON_NAME,
    "SerialNumber": NameOID.SERIAL_NUMBER,
    "Title": NameOID.TITLE,
    "Surname": NameOID.SURNAME,
    "GivenName": NameOID.GIVEN_NAME,
    "Initials": NameOID.INITIALS,
    "Pseudonym": NameOID.PSEUDONYM,
    "GenerationQualifier": NameOID.GENERATION_QUALIFIER,
}
_ALT_KINDS: dict[str, type[x509.GeneralName]] = {
    "RFC822Name": x509.RFC822Name,
    "DNSName": x509.DNSName,
    "DirectoryName": x509.DirectoryName,
    "UniformResourceIdentifier": x509.UniformResourceIdentifier,
    "IPAddress": x509.IPAddress,
}
MAX_VALUES = 5
MAX_LENGTH = 1024


def _usable(value: str) -> bool:
    return "*" not in value and "?" not in value and len(value) <= MAX_LENGTH


def _name_value(name: x509.GeneralName) -> str:
    value = name.value
    if isinstance(value, x509.Name):
        return value.rfc4514_string()
    if isinstance(
        value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)
    ):
        return str(value)
    return str(value)


@lru_cache(maxsize=1024)
def certificate_variables(der: bytes) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(single values, multi values), keys case-folded (`iot:certificate.subject.commonname`);
    empty for bytes that are not a certificate."""
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return {}, {}
    lists: dict[str, list[str]] = {}
    for side, name in (("Subject", certificate.subject), ("Issuer", certificate.issuer)):
        for label, oid in _NAME_ATTRIBUTES.items():
            values = [str(attr.value) for attr in name.get_attributes_for_oid(oid)]
            if values:
                lists[f"iot:Certificate.{side}.{label}"] = values
    for side, oid in (
        ("Subject", ExtensionOID.SUBJECT_ALTERNATIVE_NAME),
        ("Issuer", ExtensionOID.ISSUER_ALTERNATIVE_NAME),
    ):
        try:
            extension = certificate.extensions.get_extension_for_oid(oid).value
        except (x509.ExtensionNotFound, ValueError):
            continue
        for label, kind in _ALT_KINDS.items():
            names = [_name_value(item) for item in extension if isinstance(item, kind)]  # type: ignore[attr-defined]
            if names:
                lists[f"iot:Certificate.{side}.AlternativeName.{label}"] = names
    single: dict[str, str] = {
        "iot:certificate.serialnumber": str(certificate.serial_number),
        "iot:certificateid": hashlib.sha256(der).hexdigest(),
    }
    multi: dict[str, list[str]] = {}
    available = ["iot:Certificate.SerialNumber"]
    for key, values in lists.items():
        kept = [value for value in values[:MAX_VALUES]]
        folded = key.casefold()
        for index, value in enumerate(kept):
            if _usable(value):
                single[f"{folded}.{index}"] = value
        if _usable(kept[0]):
            single[folded] = kept[0]
            available.append(key)
        multi[f"{folded}.list"] = [value for value in kept if _usable(value)]
    multi["iot:certificate.availablekeys"] = available
    return single, multi
