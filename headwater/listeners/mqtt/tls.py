"""The device gateway's SSL contexts, built from the iot service's `DeviceTrust` material.

Three kinds: "mtls" (8883: a client certificate is required), "alpn" (443: ALPN picks MQTT or
HTTPS; the certificate is optional here and required by the dispatch for MQTT and X.509 HTTPS) and
"https" (8443: required). Client certificates verify against the anchors the iot service gives
(its root, registered CA certificates, certificates registered without a CA) with
VERIFY_X509_PARTIAL_CHAIN, so a leaf registered on its own is an anchor by itself.

Each handshake takes the contexts of the material's current `generation` (a new CA, a revoked
certificate): a server is bound to one context, but OpenSSL calls the SNI callback early in every
handshake (with or without SNI), before the certificate, ALPN and client verification are settled,
and the callback moves the connection to the current generation's context
(`SSLObject.context = ...`). It also records the SNI name per connection (`server_name`).
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
import weakref
from functools import partial
from typing import Any, Literal

from headwater.services.ports import DeviceTlsMaterial, DeviceTrust

log = logging.getLogger("headwater.listeners.mqtt")

Kind = Literal["mtls", "alpn", "https"]

MQTT_ALPN = "x-amzn-mqtt-ca"
HTTP_ALPN = "x-amzn-http-ca"
ALPN_PROTOCOLS = [MQTT_ALPN, HTTP_ALPN, "http/1.1"]


class DeviceTls:
    def __init__(self, trust: DeviceTrust) -> None:
        self.trust = trust
        self._generation: int | None = None
        self._contexts: dict[Kind, ssl.SSLContext] = {}
        self._names: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def context(self, kind: Kind) -> ssl.SSLContext:
        material = self.trust.material()
        if material.generation != self._generation:
            self._contexts = self._build(material)
            self._generation = material.generation
        return self._contexts[kind]

    def server_name(self, ssl_object: Any) -> str | None:
        """The SNI the client sent on this connection (None without one)."""
        return self._names.get(ssl_object)

    def _build(self, material: DeviceTlsMaterial) -> dict[Kind, ssl.SSLContext]:
        contexts: dict[Kind, ssl.SSLContext] = {}
        with tempfile.TemporaryDirectory(prefix="headwater-iot-tls-") as folder:
            # the ssl module loads a key pair from files only: written privately, removed at once
            cert, key = os.path.join(folder, "server.pem"), os.path.join(folder, "server.key")
            _write_private(cert, material.server_cert_pem)
            _write_private(key, material.server_key_pem)
            for kind in ("mtls", "alpn", "https"):
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(cert, key)
                if material.client_anchors_pem.strip():
                    context.load_verify_locations(cadata=material.client_anchors_pem.decode("ascii"))
                context.verify_mode = ssl.CERT_OPTIONAL if kind == "alpn" else ssl.CERT_REQUIRED
                context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
                if kind == "alpn":
                    context.set_alpn_protocols(ALPN_PROTOCOLS)
                elif kind == "https":
                    context.set_alpn_protocols(["http/1.1"])
                context.sni_callback = partial(self._early, kind)
                contexts[kind] = context
        return contexts

    def _early(self, kind: Kind, ssl_object: Any, server_name: str | None, context: ssl.SSLContext) -> None:
        """OpenSSL's servername callback: remember the SNI, switch to the current generation."""
        if server_name:
            self._names[ssl_object] = server_name
        try:
            current = self.context(kind)
        except Exception:  # the material could not be read: this handshake keeps the context it has
            log.exception("device TLS material unavailable")
            return
        if current is not context:
            ssl_object.context = current


def _write_private(path: str, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def peer_certificate(ssl_object: Any) -> bytes | None:
    """The verified client certificate (DER), None when the client sent none."""
    if ssl_object is None:
        return None
    der: bytes | None = ssl_object.getpeercert(binary_form=True)
    return der or None
