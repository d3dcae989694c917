"""Where certificates and CA certificates live.

Theory of operation
-------------------
Device certificates can be many: each is one row of the ordered store (`iot.certificates`, key
`<account>/<region>/<id>`, the API's description plus a few private fields), with index rows
written in the same atomic change: `iot.certificates.order` (creation order, ascending and
descending, for ListCertificates and per CA for ListCertificatesByCA) and `iot.certificates.der`
(`<id>/<account>/<region>`, so a TLS handshake's certificate is found without knowing its account).
Nothing about them is resident except the few registered without a CA, which are client trust
anchors (kept in the metadata store too).

CA certificates and registration codes are few: resident, and in the metadata store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from headwater.engine.api import Change, MetaStore, OrderedStore

CERTS = "iot.certificates"
ORDER = "iot.certificates.order"
DER = "iot.certificates.der"
NO_CA = "iot.certificates.noca"
CAS = "iot.cacertificates"
CODES = "iot.registrationcodes"
_STAMP = 10**13  # epoch milliseconds stay below this until the year 2286
BATCH = 200

Doc = dict[str, Any]


def encode(doc: Doc) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(raw: bytes) -> Doc:
    result: Doc = json.loads(raw)
    return result


def scope_key(account: str, region: str) -> str:
    return f"{account}/{region}"


def _order_keys(doc: Doc) -> list[str]:
    ms = int(doc["creationDate"] * 1000)
    scopes = ["all"] + ([f"ca-{doc['caCertificateId']}"] if doc.get("caCertificateId") else [])
    base = scope_key(doc["account"], doc["region"])
    keys = []
    for scope in scopes:
        keys.append(f"{base}/{scope}/a{ms:013d}/{doc['certificateId']}")
        keys.append(f"{base}/{scope}/d{_STAMP - 1 - ms:013d}/{doc['certificateId']}")
    return keys


class CertificateStore:
    def __init__(self, meta: MetaStore, ordered: OrderedStore) -> None:
        self.meta = meta
        self.ordered = ordered
        self.cas: dict[str, Doc] = {}  # "<account>/<region>/<id>" -> CA description
        self.codes: dict[str, str] = {}  # "<account>/<region>" -> registration code
        self.no_ca: dict[str, str] = {}  # "<account>/<region>/<id>" -> PEM (trust anchors)

    def load(self) -> None:
        self.cas = {key: decode(raw) for key, raw in self.meta.scan(CAS)}
        self.codes = {key: raw.decode() for key, raw in self.meta.scan(CODES)}
        self.no_ca = {key: raw.decode() for key, raw in self.meta.scan(NO_CA)}

    def clear(self) -> None:
        self.cas.clear()
        self.codes.clear()
        self.no_ca.clear()

    # -- device certificates ------------------------------------------------------------------------

    def get(self, account: str, region: str, certificate_id: str) -> Doc | None:
        raw = self.ordered.get(CERTS, f"{scope_key(account, region)}/{certificate_id}")
        return decode(raw) if raw is not None else None

    def holders(self, certificate_id: str) -> list[tuple[str, str]]:
        """The (account, region) pairs that hold this certificate."""
        rows = self.ordered.scan_range(DER, None, certificate_id + "/", BATCH)
        pairs = []
        for key, _ in rows:
            _, account, region = key.split("/")
            pairs.append((account, region))
        return pairs

    async def put(self, doc: Doc, new: bool) -> None:
        key = f"{scope_key(doc['account'], doc['region'])}/{doc['certificateId']}"
        changes: list[Change] = [(CERTS, key, encode(doc))]
        if new:
            changes += [(ORDER, k, b"") for k in _order_keys(doc)]
            changes.append((DER, f"{doc['certificateId']}/{doc['account']}/{doc['region']}", b""))
        await self.ordered.write(changes)
        if doc.get("noCa") and new:
            self.no_ca[key] = doc["certificatePem"]
            await self.meta.put(NO_CA, key, doc["certificatePem"].encode())

    async def delete(self, doc: Doc) -> None:
        key = f"{scope_key(doc['account'], doc['region'])}/{doc['certificateId']}"
        changes: list[Change] = [(CERTS, key, None)]
        changes += [(ORDER, k, None) for k in _order_keys(doc)]
        changes.append((DER, f"{doc['certificateId']}/{doc['account']}/{doc['region']}", None))
        await self.ordered.write(changes)
        if self.no_ca.pop(key, None) is not None:
            await self.meta.delete(NO_CA, key)

    def listing(
        self, account: str, region: str, scope: str, ascending: bool, after: str | None
    ) -> Iterator[tuple[str, Doc]]:
        """(order key, description) in creation order from after `after` (an order key)."""
        prefix = f"{scope_key(account, region)}/{scope}/{'a' if ascending else 'd'}"
        while rows := self.ordered.scan_range(ORDER, after, prefix, BATCH):
            for key, _ in rows:
                doc = self.get(account, region, key.rsplit("/", 1)[1])
                if doc is not None:
                    yield key, doc
            after = rows[-1][0]

    def any_of_ca(self, account: str, region: str, ca_id: str) -> bool:
        prefix = f"{scope_key(account, region)}/ca-{ca_id}/a"
        return bool(self.ordered.scan_range(ORDER, None, prefix, 1))

    # -- CA certificates and registration codes -----------------------------------------------------

    def ca(self, account: str, region: str, certificate_id: str) -> Doc | None:
        return self.cas.get(f"{scope_key(account, region)}/{certificate_id}")

    def cas_of(self, account: str, region: str) -> list[Doc]:
        prefix = scope_key(account, region) + "/"
        return [doc for key, doc in self.cas.items() if key.startswith(prefix)]

    async def put_ca(self, doc: Doc) -> None:
        key = f"{scope_key(doc['account'], doc['region'])}/{doc['certificateId']}"
        self.cas[key] = doc
        await self.meta.put(CAS, key, encode(doc))

    async def delete_ca(self, doc: Doc) -> None:
        key = f"{scope_key(doc['account'], doc['region'])}/{doc['certificateId']}"
        self.cas.pop(key, None)
        await self.meta.delete(CAS, key)

    async def set_code(self, account: str, region: str, code: str | None) -> None:
        key = scope_key(account, region)
        if code is None:
            self.codes.pop(key, None)
            await self.meta.delete(CODES, key)
        else:
            self.codes[key] = code
            await self.meta.put(CODES, key, code.encode())
